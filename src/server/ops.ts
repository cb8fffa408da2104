// The plain-HTTP operations port: /metrics, /healthz, /readyz.
import express, { type Request, type Response } from 'express';
import { httpStatus, type HttpErrorCode } from '../errors.js';
import type { Metrics } from './metrics.js';

export interface Readiness {
  /** Empty when ready; otherwise what is still missing. */
  notReadyBecause(): string[];
}

/** `beforeScrape` refreshes gauges that are read rather than pushed (view size, sync state). */
export function createOpsApp(metrics: Metrics, readiness: Readiness, beforeScrape: () => void = () => undefined): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req: Request, res: Response) => {
    beforeScrape();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    const reasons = readiness.notReadyBecause();
    res.status(reasons.length === 0 ? 200 : 503).json({ status: reasons.length === 0 ? 'ready' : 'not ready', reasons });
  });
  app.use((_req: Request, res: Response) => {
    res.status(httpStatus('NOT_FOUND')).json({ error: { code: 'NOT_FOUND' satisfies HttpErrorCode, message: 'use /metrics, /healthz or /readyz' } });
  });
  return app;
}
