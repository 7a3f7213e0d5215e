// The one place where errors become responses: typed ProblemErrors map to their status,
// Redis's error replies to 503, and anything else to a 500 whose detail says nothing about
// internals (the log line, found by the request id, has the rest). A refused request's
// unread body is never read (sendBody, unread-body.ts).
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Problem } from '../contract.js';
import { sendBody } from './reply.js';
import { contextOf } from './request-context.js';
import { RedisReplyError } from '../redis/adapter.js';
import { problemType, UnavailableError, ProblemError, ValidationError } from '../errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

function toProblemError(err: unknown): ProblemError | undefined {
  if (err instanceof ProblemError) return err;
  // LOADING, BUSY, MASTERDOWN, READONLY…: Redis cannot do it now, which is a 503, not a bug.
  if (err instanceof RedisReplyError)
    return new UnavailableError(`Redis answered ${err.code}: ${err.message.slice(0, 200)}`);
  return undefined;
}

function sendProblem(res: ServerResponse, error: ProblemError): void {
  const body: Problem = {
    type: error.type,
    title: error.title,
    status: error.status,
    detail: error.message,
    instance: contextOf(res).requestId,
  };
  if (error instanceof ValidationError && error.errors.length > 0) body.errors = error.errors;
  for (const [name, value] of Object.entries(error.headers())) res.setHeader(name, value);
  sendBody(res, error.status, PROBLEM_MEDIA_TYPE, JSON.stringify(body));
}

/** Answers any error: a typed one as its problem, anything else as a 500 that says nothing of internals. */
export function answerError(log: Logger, err: unknown, res: ServerResponse, method: string | undefined): void {
  const problem = toProblemError(err);
  if (problem) return sendProblem(res, problem);
  const requestId = contextOf(res).requestId;
  log.error({ err, requestId, method }, 'unhandled error');
  const body: Problem = {
    type: problemType('internal'),
    title: 'Internal server error',
    status: 500,
    detail: 'the manager failed to handle this request; its log has the details under this request id',
    instance: requestId,
  };
  sendBody(res, 500, PROBLEM_MEDIA_TYPE, JSON.stringify(body));
}

export function problemMiddleware(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    answerError(log, err, res, req.method);
  };
}
