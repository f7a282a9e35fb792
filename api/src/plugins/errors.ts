import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';
import { formatBytes } from '../lib/format-bytes.ts';
import { isDatabaseUnavailable } from '../lib/connection-errors.ts';

/** Codes for the client errors Fastify itself raises (bad JSON, body too large…), in our vocabulary. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_parts',
  FST_FIELDS_LIMIT: 'too_many_fields',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'not_multipart',
};

const VALIDATION_PLACES: Record<string, string> = {
  body: 'The request body is not valid',
  querystring: 'The query string is not valid',
  params: 'The address is not valid',
  headers: 'The request headers are not valid',
};

/**
 * Errors the router raises before any hook or handler runs (a path parameter over 100 characters, a broken
 * percent-encoding): without this, Fastify answers them in its own shape, echoing the path.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const status = tooLong ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500;
  const code = tooLong ? 'uri_too_long' : status === 400 ? 'bad_url' : 'internal_error';
  const message = tooLong ? 'A part of the address is too long' : status === 400 ? 'The address is not valid' : 'Something went wrong on our side';
  if (status === 500) request.log.error({ err: error }, 'router error');
  void reply.status(status).send({ success: false, error: { code, message, requestId: request.id } });
}

/** Deeper than any request to this API nests: refusing it keeps every walker of the input (ours, zod's) off the stack limit. */
const MAX_DEPTH = 32;

/**
 * Why a request's params, query or body cannot be taken, if they cannot: a string (key or value) holding a
 * NUL byte or a lone UTF-16 surrogate, which Postgres cannot store, or nesting deeper than MAX_DEPTH. Walked
 * with a list rather than recursion, so a body of 30,000 nested arrays is an answer, not a stack overflow.
 */
function refusalOf(values: unknown[]): AppError | undefined {
  const pending = values.map((value) => ({ value, depth: 0 }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000') || !value.isWellFormed()) {
        return new AppError(400, 'invalid_text', 'Text must not contain NUL bytes or unpaired surrogates');
      }
    } else if (value && typeof value === 'object') {
      if (depth >= MAX_DEPTH) return new AppError(400, 'too_deep', `The request must not nest deeper than ${MAX_DEPTH} levels`);
      for (const [k, v] of Object.entries(value)) pending.push({ value: k, depth }, { value: v, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * The one error mapper: typed errors keep their status and message, validation errors become 400 with
 * the issues, other client errors keep their status with a safe message, anything else is a logged 500
 * that leaks nothing.
 */
export const errorHandler = fp(async (app: FastifyInstance) => {
  // Refused before any route runs, so nothing is written.
  app.addHook('preValidation', async (request) => {
    const refusal = refusalOf([request.params, request.query, request.body]);
    if (refusal) throw refusal;
  });
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const requestId = request.id;
    if (error instanceof AppError) {
      const retryAfter = (error.details as { retryAfter?: number } | undefined)?.retryAfter;
      if (error.status === 429 && retryAfter) reply.header('retry-after', String(retryAfter));
      return reply.status(error.status).send({
        success: false,
        error: { code: error.code, message: error.message, details: error.details, requestId },
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        message: issue.message ?? 'Invalid value',
      }));
      const where = VALIDATION_PLACES[error.validationContext ?? ''] ?? 'The request is not valid';
      return reply.status(400).send({
        success: false,
        error: { code: 'validation_error', message: where, details, requestId },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FRAMEWORK_CODES[error.code] ?? (status === 429 ? 'rate_limited' : 'bad_request');
      // Say which limit, as the front server does for a declared length: the client can act on it.
      const message = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `The request body is over the ${formatBytes(request.routeOptions.bodyLimit)} limit` : error.message;
      return reply.status(status).send({ success: false, error: { code, message, requestId } });
    }
    if (isDatabaseUnavailable(error)) {
      // An outage, not a bug: say so plainly; the driver reconnects by itself once Postgres is back.
      request.log.warn({ err: error }, 'database unavailable');
      return reply.status(503).send({
        success: false,
        error: { code: 'database_unavailable', message: 'The database is not reachable right now: try again in a moment', requestId },
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({
      success: false,
      error: { code: 'internal_error', message: 'Something went wrong on our side', requestId },
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      success: false,
      error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id },
    }),
  );
});
