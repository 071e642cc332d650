// A small typed wrapper over node:events' EventEmitter: event names and listener arguments are checked.
import { EventEmitter } from 'node:events';

export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(100);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** resolves with the arguments of the next `event` for which `pred` holds (rejects after timeoutMs) */
  waitFor<K extends keyof E & string>(event: K, pred: (...args: E[K]) => boolean = () => true, timeoutMs = 10_000): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      const onEv = (...args: unknown[]): void => {
        if (!pred(...(args as E[K]))) return;
        clearTimeout(t);
        this.ee.off(event, onEv);
        resolve(args as E[K]);
      };
      const t = setTimeout(() => {
        this.ee.off(event, onEv);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
      }, timeoutMs);
      this.ee.on(event, onEv);
    });
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.ee.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return this.ee.emit(event, ...args);
  }
}
