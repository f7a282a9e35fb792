import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, registerUser } from './helper.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('probes', () => {
  it('/healthz answers while the process runs', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when Postgres and Redis both answer', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    expect(Object.values(body.checks).every((state) => state === 'ok')).toBe(true);
  });

  describe('with Redis unreachable', () => {
    let broken: TestApp;
    let deadRedis: Redis;
    beforeAll(async () => {
      // Nothing listens on port 1: every command fails at once instead of queueing.
      deadRedis = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      deadRedis.on('error', () => {}); // expected: it is meant to fail
      // Rate limits and the session cache live in Redis: this app runs without them.
      broken = await createTestApp({ rateLimitEnabled: false, sessionCacheMs: 0 }, { redis: deadRedis });
    });
    afterAll(async () => {
      await broken.close();
      deadRedis.disconnect();
    });

    it('/readyz answers 503 and names Redis, while /healthz still answers', async () => {
      const response = await broken.app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'not_ready', checks: { postgres: 'ok', redis: 'unavailable' } });
      expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
      expect((await broken.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    });

    it('counts the 503 in http_request_errors_total', async () => {
      await broken.app.inject({ method: 'GET', url: '/readyz' });
      const metrics = (await broken.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = metrics.split('\n').find((l) => l.startsWith('http_request_errors_total{') && l.includes('route="/readyz"'));
      expect(line, metrics.slice(0, 2000)).toMatch(/status_code="503"} [1-9]\d*$/);
    });
  });
});

describe('/metrics', () => {
  it('exposes request durations labelled by route pattern, not by URL', async () => {
    const user = await registerUser(t.app);
    await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: user.cookie } });
    await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/some-id-${Date.now()}`, headers: { cookie: user.cookie } });
    await t.app.inject({ method: 'GET', url: `/api/v1/no-such-thing-${Date.now()}` });

    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;

    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/auth\/me",status_code="200"} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/auth\/me",status_code="401"} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/register",status_code="201"} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="DELETE",route="\/api\/v1\/auth\/sessions\/:id",status_code="404"} [1-9]/);
    // Ids and unknown paths never become labels of their own.
    expect(text).not.toContain('some-id-');
    expect(text).not.toContain('no-such-thing-');

    expect(text).toContain('# TYPE http_request_errors_total counter');
    // Client errors are not server errors.
    expect(text).not.toMatch(/http_request_errors_total\{[^}]*status_code="4\d\d"/);
    // The process metrics come along.
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe('API documentation', () => {
  it('/api/docs/json is an OpenAPI document of the API', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Inkwell API');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/admin/users/{id}']));
    const login = doc.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['login', 'password']));
    // Probes and metrics are for machines, not part of the documented API.
    expect(doc.paths['/metrics']).toBeUndefined();
    expect(doc.paths['/healthz']).toBeUndefined();
  });

  it('/api/docs serves the documentation page', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect([200, 302]).toContain(response.statusCode);
  });
});
