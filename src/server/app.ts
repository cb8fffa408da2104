// The webhook's HTTP surface: POST /validate and POST /mutate, dispatched straight to the
// admission handlers; every other request goes to an express app (405, 404, and whatever is
// added later). Bad input gets a clear JSON 4xx; an exception in the engine a 500 for that
// request only. The admission routes skip express because its per-request machinery cost more
// than half of the throughput on the benchmark (see README, Performance).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { clipUtf8, MAX_DENIAL_MESSAGE_BYTES, MAX_REPORTED_VIOLATIONS, moreViolations, omittedFrom } from '../admission/bounds.js';
import { handleMutate, handleValidate, type Handled } from '../admission/handler.js';
import { decodeReview, encodeReview, errored, type AdmissionRequest } from '../admission/review.js';
import type { Decision, EngineContext, ObjectRef } from '../engine/index.js';
import { httpStatus, isStagewallError, type HttpErrorCode } from '../errors.js';
import { BodyBudget, readJsonBody, sendJson, type BodyError } from './body.js';
import { loggable, MAX_LOGGED_MESSAGE_LENGTH, type Logger } from './log.js';
import type { Metrics } from './metrics.js';

/** The API server refuses request bodies over 3 MiB (its MaxRequestBodyBytes), so no object it admits is larger. */
export const API_SERVER_MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/**
 * An AdmissionReview of an UPDATE carries the object and the old object, each up to the API
 * server's limit, plus the envelope (user info, options) and JSON's escaping: two limits and 2 MiB
 * (8 MiB). Read in full before parsing, so it is also what one request can hold in memory.
 */
export const MAX_BODY_BYTES = 2 * API_SERVER_MAX_REQUEST_BYTES + 2 * 1024 * 1024;

/**
 * Request bodies held at once over all requests in flight: four of the largest, or thousands of
 * ordinary reviews (a few KiB each). Beyond it a request is answered 503 with Retry-After.
 */
export const MAX_BUFFERED_BODY_BYTES = 4 * MAX_BODY_BYTES;

export interface WebhookDeps {
  /** The engine's current inputs; the config may be swapped by a reload at any time. */
  context(): EngineContext;
  /** Request bodies held at once over all requests (default MAX_BUFFERED_BODY_BYTES). */
  readonly bufferedBodyBytes?: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Looks up a namespace the view does not know yet (cluster views only). */
  ensureNamespace?(name: string): Promise<void>;
}

type Endpoint = 'validate' | 'mutate';

function sendError(res: ServerResponse, code: HttpErrorCode, message: string): void {
  sendJson(res, httpStatus(code), { error: { code, message } });
}

/** The kind named by the request, else by its object: for metrics (folded to known kinds) and logs. */
function requestKind(request: AdmissionRequest): string {
  const kind = request.kind?.kind ?? request.object?.kind ?? request.oldObject?.kind;
  return typeof kind === 'string' ? kind : 'Unknown';
}

function loggedRef(ref: ObjectRef): ObjectRef {
  return { kind: loggable(ref.kind), name: loggable(ref.name), ...(ref.namespace === undefined ? {} : { namespace: loggable(ref.namespace) }) };
}

/**
 * One audit event per violation, for the first MAX_REPORTED_VIOLATIONS, then one that says how many
 * more and of which rules: a request's log lines are bounded in number and, with every string from
 * the request cut, in size.
 */
function logAudit(deps: WebhookDeps, request: AdmissionRequest, decision: Decision): void {
  const { violations } = decision;
  const object = loggedRef(decision.ref);
  const user = loggable(request.userInfo?.username);
  const uid = loggable(request.uid);
  const dryRun = request.dryRun === true;
  const shown = Math.min(violations.length, MAX_REPORTED_VIOLATIONS);
  for (let i = 0; i < shown; i += 1) {
    const v = violations[i] as Decision['violations'][number];
    deps.logger.warn(
      {
        event: 'audit',
        rule: v.rule,
        severity: v.severity,
        object,
        namespace: object.namespace,
        user,
        uid,
        mode: decision.mode,
        operation: request.operation,
        dryRun,
      },
      loggable(v.message, MAX_LOGGED_MESSAGE_LENGTH),
    );
  }
  if (violations.length > shown) {
    const omitted = omittedFrom(violations, shown);
    deps.logger.warn(
      {
        event: 'audit',
        rules: omitted.rules,
        omitted: omitted.count,
        object,
        namespace: object.namespace,
        user,
        uid,
        mode: decision.mode,
        operation: request.operation,
        dryRun,
      },
      moreViolations(omitted),
    );
  }
}

function logDecision(deps: WebhookDeps, endpoint: Endpoint, request: AdmissionRequest, handled: Handled): void {
  const { decision } = handled;
  if (decision) {
    // Every violation is counted, reported or not.
    for (const v of decision.violations) deps.metrics.admissions.violation(v.rule, v.severity);
    if (decision.mode === 'audit' && decision.violations.length > 0) logAudit(deps, request, decision);
  }
  if (deps.logger.isLevelEnabled('debug')) {
    deps.logger.debug(
      {
        event: 'decision',
        endpoint,
        uid: loggable(request.uid),
        user: loggable(request.userInfo?.username),
        operation: request.operation,
        kind: loggable(requestKind(request)),
        namespace: loggable(request.namespace),
        name: loggable(request.name),
        verdict: decision?.verdict,
        skipped: decision?.skipped,
        // The rule ids (a catalog's worth at most), not one entry per violation.
        rules: decision ? [...new Set(decision.violations.map((v) => v.rule))] : undefined,
        violations: decision?.violations.length,
        patch: handled.patch,
      },
      'admission decision',
    );
  }
}

/** The `decision` label of the requests metric. */
function decisionLabel(endpoint: Endpoint, handled: Handled): string {
  if (endpoint === 'mutate') return handled.patch && handled.patch.length > 0 ? 'patch' : 'allow';
  if (handled.decision?.skipped === 'kind-not-judged') return 'ignored';
  return handled.decision?.verdict ?? 'allow';
}

function badBody(deps: WebhookDeps, endpoint: Endpoint, res: ServerResponse, err: BodyError): void {
  if (err.type === 'entity.too.large') {
    deps.metrics.badRequests.inc({ endpoint, reason: 'too-large' });
    sendError(res, 'BODY_TOO_LARGE', err.message);
  } else if (err.type === 'entity.parse.failed') {
    deps.metrics.badRequests.inc({ endpoint, reason: 'malformed-json' });
    sendError(res, 'MALFORMED_JSON', err.message);
  } else if (err.type === 'server.busy') {
    deps.metrics.badRequests.inc({ endpoint, reason: 'busy' });
    sendError(res, 'SERVER_BUSY', err.message);
  } else {
    deps.metrics.badRequests.inc({ endpoint, reason: 'aborted' });
    res.destroy();
  }
}

function admissionEndpoint(deps: WebhookDeps, endpoint: Endpoint, budget: BodyBudget, handle: (r: AdmissionRequest, ctx: EngineContext) => Handled) {
  const tally = deps.metrics.admissions;
  const record = tally.admission.bind(tally);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    readJsonBody(req, res, MAX_BODY_BYTES, budget, (err, body) => {
      if (err) {
        badBody(deps, endpoint, res, err);
        return;
      }
      const ns = (body as { request?: { namespace?: unknown } } | undefined)?.request?.namespace;
      if (deps.ensureNamespace && typeof ns === 'string' && ns !== '' && !deps.context().view.namespace(ns)) {
        // Rare: the informer has not seen this namespace yet. Look it up rather than judge it blind.
        void deps
          .ensureNamespace(ns)
          .then(() => answer(body, res, started))
          .catch((error: unknown) => {
            deps.logger.error({ event: 'error', endpoint, err: error }, 'admission request failed');
            if (!res.headersSent) sendError(res, 'INTERNAL', 'internal error while judging the request');
          });
        return;
      }
      answer(body, res, started);
    });
  };

  function answer(body: unknown, res: ServerResponse, started: number): void {
    let decoded;
    try {
      decoded = decodeReview(body);
    } catch (err) {
      deps.metrics.badRequests.inc({ endpoint, reason: 'invalid-review' });
      sendError(res, 'ADMISSION_BAD_REQUEST', (err as Error).message); // decodeReview throws no other code
      return;
    }
    const { request } = decoded;
    const kind = requestKind(request);
    const ctx = deps.context();
    let handled: Handled;
    try {
      handled = handle(request, ctx);
    } catch (err) {
      record(endpoint, kind, request.operation, 'error', ctx.config.mode, (performance.now() - started) / 1000);
      if (isStagewallError(err)) {
        // The object itself is bad (the API server would not have stored it): say so in the
        // AdmissionReview, so kubectl shows the reason rather than "failed calling webhook".
        deps.logger.warn(
          {
            event: 'bad-object',
            endpoint,
            uid: loggable(request.uid),
            kind: loggable(kind),
            code: err.code,
            error: loggable(err.message, MAX_LOGGED_MESSAGE_LENGTH),
          },
          'object refused as invalid',
        );
        sendJson(res, 200, encodeReview(decoded.apiVersion, errored(request.uid, 400, clipUtf8(`[${err.code}] ${err.message}`, MAX_DENIAL_MESSAGE_BYTES))));
        return;
      }
      deps.logger.error({ event: 'error', endpoint, uid: loggable(request.uid), kind: loggable(kind), err }, 'admission request failed');
      sendError(res, 'INTERNAL', 'internal error while judging the request');
      return;
    }
    sendJson(res, 200, encodeReview(decoded.apiVersion, handled.response));
    const decision = decisionLabel(endpoint, handled);
    record(endpoint, kind, request.operation, decision, handled.decision?.mode ?? ctx.config.mode, (performance.now() - started) / 1000);
    logDecision(deps, endpoint, request, handled);
  }
}

function methodNotAllowed(_req: Request, res: Response): void {
  res.setHeader('Allow', 'POST');
  sendError(res, 'METHOD_NOT_ALLOWED', 'use POST with an AdmissionReview body');
}

/** Everything that is not an admission POST: JSON 405s, 404s and errors. */
function createFallbackApp(deps: WebhookDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.all('/validate', methodNotAllowed);
  app.all('/mutate', methodNotAllowed);
  app.use((_req: Request, res: Response) => sendError(res, 'NOT_FOUND', 'no such endpoint: use POST /validate or POST /mutate'));
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ event: 'error', err }, 'unexpected error');
    sendError(res, 'INTERNAL', 'internal error');
  });
  return app;
}

function pathOf(url: string | undefined): string {
  const text = url ?? '';
  const q = text.indexOf('?');
  return q < 0 ? text : text.slice(0, q);
}

/** The webhook's request listener, for the HTTPS server (or supertest). */
export function createWebhookApp(deps: WebhookDeps): RequestListener {
  const budget = new BodyBudget(deps.bufferedBodyBytes ?? MAX_BUFFERED_BODY_BYTES);
  const validate = admissionEndpoint(deps, 'validate', budget, handleValidate);
  const mutate = admissionEndpoint(deps, 'mutate', budget, handleMutate);
  const fallback = createFallbackApp(deps);
  return (req, res) => {
    if (req.method === 'POST') {
      const path = pathOf(req.url);
      if (path === '/validate') return validate(req, res);
      if (path === '/mutate') return mutate(req, res);
    }
    fallback(req, res);
  };
}
