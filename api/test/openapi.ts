/**
 * The API's own OpenAPI document, read the way a client reads it: the routes, their parameters and bodies,
 * and what each declares about access. The fuzz test and the authorization matrix are generated from it.
 */
import type { FastifyInstance } from 'fastify';
import type { Permission } from '@inkwell/db';
import type { ComicRole } from '../src/contract.ts';

export interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

export interface Parameter {
  in: 'path' | 'query';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI style, `/api/v1/comics/{id}`. */
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
  permission: Permission | 'public';
  comicRole: ComicRole | undefined;
}

interface RawOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  'x-permission'?: Permission | 'public';
  'x-comic-role'?: ComicRole;
}

export async function apiOperations(app: FastifyInstance): Promise<Operation[]> {
  const response = await app.inject({ method: 'GET', url: '/api/docs/json' });
  const doc = response.json() as { paths: Record<string, Record<string, RawOperation>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        if (!op['x-permission']) throw new Error(`${method} ${path} says nothing about its permission in the OpenAPI document`);
        return {
          method: method.toUpperCase(),
          path,
          parameters: op.parameters ?? [],
          body: op.requestBody?.content['application/json']?.schema,
          permission: op['x-permission'],
          comicRole: op['x-comic-role'],
        };
      }),
    );
}

export const operationName = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`;

/** Values for the fields whose rules a generic sample cannot meet (a pattern), or that must name real things. */
export type Hints = Record<string, unknown>;

/** A value the schema accepts, preferring a hint for the field's name where the schema allows it. */
export function sampleOf(schema: JsonSchema, name: string, hints: Hints): unknown {
  if (name in hints && (!schema.enum || schema.enum.includes(hints[name]))) return hints[name];
  if (schema.enum) return schema.enum.find((v) => v !== 'guest') ?? schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.anyOf) return sampleOf(schema.anyOf[0]!, name, hints);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleObject(schema, hints);
    default:
      if (schema.format === 'uuid') return crypto.randomUUID();
      if (schema.format === 'email') return `fuzz@example.com`;
      return 'a'.repeat(Math.max(schema.minLength ?? 1, 3));
  }
}

/** The required fields, and the optional ones that have a hint. */
export function sampleObject(schema: JsonSchema, hints: Hints): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  return Object.fromEntries(
    Object.entries(schema.properties ?? {})
      .filter(([name]) => required.has(name) || name in hints)
      .map(([name, property]) => [name, sampleOf(property, name, hints)]),
  );
}

/** The operation's path with each `{param}` filled in, and its query string. */
export function urlOf(op: Operation, params: Record<string, string>, query = ''): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${operationName(op)}`);
    return value;
  });
  return query ? `${path}?${query}` : path;
}
