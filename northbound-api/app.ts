// The northbound Express 5 app: /api/v1, Ryu-compatible /stats/*, /docs (Swagger UI),
// /openapi.yaml, /metrics. openapi.yaml is the contract: express-openapi-validator checks every
// request against it (and every response when validateResponses is on, as in the tests); bearer
// auth is declared per operation in the spec (security: bearerAuth on every mutating operation).
import { timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import swaggerUi from 'swagger-ui-express';
import YAML from 'yaml';
import { createMetrics, type ApiMetrics } from './metrics.js';
import type { ApiDeps } from './ports.js';
import { problemHandler, sendProblem, type ErrorLogger } from './problem.js';
import { parseBody } from './ryu/body.js';
import { ryuRouter, type RyuOptions } from './ryu/routes.js';
import { v1Router } from './v1/routes.js';

export interface ApiOptions {
  /** Bearer token required on mutating operations. Empty/undefined: every mutation is refused (403). */
  token?: string;
  /** Request body limit in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Validate responses against openapi.yaml (tests: true; an invalid response becomes a 500). */
  validateResponses?: boolean;
  /** Path of openapi.yaml (default: found next to the package root). */
  specPath?: string;
  ryu?: RyuOptions;
  log?: ErrorLogger;
  /** Register prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
}

export function findSpec(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '..', 'openapi.yaml'), join(here, '..', '..', 'openapi.yaml')]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`openapi.yaml not found near ${here}`);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

class AuthError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface App extends Express {
  locals: Express['locals'] & { metrics: ApiMetrics; spec: Record<string, unknown> };
}

export function createApp(deps: ApiDeps, options: ApiOptions = {}): App {
  const specPath = options.specPath ?? findSpec();
  const specText = readFileSync(specPath, 'utf8');
  const spec = YAML.parse(specText) as Record<string, unknown>;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const log: ErrorLogger = options.log ?? ((msg, err) => console.error(`northbound-api: ${msg}:`, err));
  const metrics = createMetrics(deps.metrics, { defaultMetrics: options.defaultMetrics });
  const tokenDigest = options.token ? digest(options.token) : undefined;

  const app = express() as unknown as App;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.locals.metrics = metrics;
  app.locals.spec = spec;

  // API latency by route template (the OpenAPI route when the validator matched one).
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const oa = (req as Request & { openapi?: { openApiRoute?: string } }).openapi;
      const route = oa?.openApiRoute ?? (req.path.startsWith('/docs') ? '/docs' : ['/metrics', '/openapi.yaml', '/openapi.json'].includes(req.path) ? req.path : 'unmatched');
      metrics.observeRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  });

  // --- documents and metrics (no auth, not part of the validated surface)
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(specText);
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  app.use('/docs', swaggerUi.serve);
  app.get(['/docs', '/docs/'], swaggerUi.setup(spec, { customSiteTitle: 'rackvisor API', swaggerOptions: { url: '/openapi.yaml' } }));
  app.get('/metrics', async (_req, res, next) => {
    try {
      const text = await metrics.registry.metrics();
      res.type(metrics.registry.contentType).send(text);
    } catch (e) {
      next(e);
    }
  });

  // --- bodies. Ryu's /stats read any content type (curl -d sends form-urlencoded) and accept JSON
  // or Python literals: parse raw here, then present the result as JSON to the validator.
  app.use('/stats', express.raw({ type: () => true, limit: bodyLimit }), (req: Request, _res: Response, next: NextFunction) => {
    const raw = req.body as unknown;
    if (Buffer.isBuffer(raw) && raw.length > 0) {
      try {
        const parsed = parseBody(raw);
        req.body = parsed === undefined ? undefined : parsed;
      } catch (e) {
        next(e);
        return;
      }
      if (req.body !== undefined) req.headers['content-type'] = 'application/json';
      else delete req.headers['content-type'];
    } else {
      req.body = undefined;
      delete req.headers['content-type'];
    }
    next();
  });
  app.use('/api', express.json({ limit: bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));

  // --- the contract
  app.use(
    OpenApiValidator.middleware({
      apiSpec: structuredClone(spec) as never,
      validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false },
      validateResponses: options.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: {
        handlers: {
          bearerAuth: (req: Request) => {
            const h = req.headers.authorization ?? '';
            const m = /^Bearer\s+(.+)$/i.exec(h.trim());
            if (!m) throw new AuthError(401, 'Authorization: Bearer <token> required');
            if (!tokenDigest) throw new AuthError(403, 'no API token is configured on the server: mutations are disabled (set RACKVISOR_API_TOKEN)');
            if (!timingSafeEqual(digest(m[1]), tokenDigest)) throw new AuthError(403, 'the bearer token is not valid');
            return true;
          },
        },
      },
      validateApiSpec: true,
      $refParser: { mode: 'dereference' },
      ignoreUndocumented: false,
    }),
  );

  app.use(ryuRouter(() => deps.switches, options.ryu));
  app.use(v1Router(deps));

  app.use((req: Request, res: Response) => {
    sendProblem(res, 404, 'Not Found', `no route for ${req.method} ${req.path}`);
  });
  const handler = problemHandler(log);
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (err instanceof Object && (err as { status?: number }).status === 401) res.set('WWW-Authenticate', 'Bearer realm="rackvisor"');
    handler(err, req, res, next);
  });
  return app;
}
