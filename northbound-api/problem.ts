// RFC 9457 problem details: every error leaves the API as application/problem+json
// {type, title, status, detail, ...}. No stack traces, ever; unexpected errors are logged server-side
// and answered with a generic 500.
import type { NextFunction, Request, Response } from 'express';
import { ClusterError, SwitchError, SwitchTimeoutError } from './ports.js';
import { RyuBadRequest, RyuNotFound, RyuNotImplemented } from './ryu/util.js';
import { stringifyExact } from './json.js';

export const PROBLEM_BASE = 'https://rackvisor.dev/problems/';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '');
}

export function sendProblem(res: Response, status: number, title: string, detail: string, extra: Record<string, unknown> = {}): void {
  const body = { type: PROBLEM_BASE + slug(title), title, status, detail, ...extra };
  res.status(status).type('application/problem+json').send(stringifyExact(body));
}

interface ValidatorError {
  status: number;
  message?: string;
  errors?: Array<{ path?: string; message?: string; errorCode?: string }>;
}

function isValidatorError(e: unknown): e is ValidatorError {
  return typeof e === 'object' && e !== null && typeof (e as ValidatorError).status === 'number' && Array.isArray((e as ValidatorError).errors);
}

interface BodyParserError {
  type: string;
  status: number;
  limit?: number;
  expose?: boolean;
  message: string;
}

function isBodyParserError(e: unknown): e is BodyParserError {
  return typeof e === 'object' && e !== null && typeof (e as BodyParserError).type === 'string' && typeof (e as BodyParserError).status === 'number';
}

export type ErrorLogger = (msg: string, err: unknown) => void;

/** Map any thrown value to a problem response. */
export function problemHandler(log: ErrorLogger) {
  // Express recognises error handlers by their 4 parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      res.end();
      return;
    }
    const name = err instanceof Error ? err.name : '';
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof HttpProblem) return sendProblem(res, err.status, err.title, err.detail, err.extra);
    if (err instanceof RyuBadRequest) return sendProblem(res, 400, 'Bad Request', msg);
    if (err instanceof RyuNotFound) return sendProblem(res, 404, 'Not Found', msg);
    if (err instanceof RyuNotImplemented) return sendProblem(res, 501, 'Not Implemented', msg);
    if (err instanceof ClusterError) {
      const status = { 'not-found': 404, conflict: 409, invalid: 400, unavailable: 503 }[err.code];
      return sendProblem(res, status, TITLES[status], msg);
    }
    if (err instanceof SwitchError || name === 'OpenFlowError') {
      const e = err as SwitchError & { errName?: string; errCode?: number };
      return sendProblem(res, 502, 'Switch Error', `the switch refused the request: ${msg}`, {
        ofp_error: { type: e.errType, code: e.code ?? e.errCode, name: e.errName ?? `${e.typeName}/${e.codeName}` },
      });
    }
    if (err instanceof SwitchTimeoutError || name === 'RequestTimeoutError') return sendProblem(res, 504, 'Gateway Timeout', msg);
    if (name === 'SessionClosedError') return sendProblem(res, 503, 'Service Unavailable', msg);
    if (name === 'WriteQueueFullError') return sendProblem(res, 503, 'Service Unavailable', msg);
    if (isValidatorError(err)) {
      const status = err.status >= 400 && err.status < 600 ? err.status : 400;
      const details = (err.errors ?? []).map((e) => `${e.path ?? ''} ${e.message ?? ''}`.trim()).filter(Boolean);
      let detail = details.length ? details.join('; ') : (err.message ?? TITLES[status] ?? 'error');
      if (status === 401) detail = `authentication required: send "Authorization: Bearer <token>" (${detail.replace(/^\/\S*\s+/, '')})`;
      if (status >= 500) {
        log(`${req.method} ${req.originalUrl}: ${detail}`, err);
      }
      return sendProblem(res, status, TITLES[status] ?? 'Error', detail, details.length > 1 ? { errors: details } : {});
    }
    if (isBodyParserError(err) && err.status >= 400 && err.status < 500) {
      if (err.type === 'entity.too.large') {
        return sendProblem(res, 413, 'Payload Too Large', `request body exceeds the limit of ${err.limit ?? '?'} bytes`);
      }
      if (err.type === 'entity.parse.failed') return sendProblem(res, 400, 'Bad Request', `request body is not valid JSON: ${msg}`);
      return sendProblem(res, err.status, TITLES[err.status] ?? 'Bad Request', msg);
    }
    log(`${req.method} ${req.originalUrl}: unexpected error`, err);
    return sendProblem(res, 500, 'Internal Server Error', 'unexpected server error (logged on the server)');
  };
}
