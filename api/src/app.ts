import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import cookie from '@fastify/cookie';
import { Queue, QueueEvents } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Redis } from 'ioredis';
import { type DatabaseClient, createDatabaseClient } from '@inkwell/db';
import {
  COMIC_EDITS_QUEUE,
  type ComicEditJobData,
  GENERATION_QUEUE,
  type GenerationJobData,
  type SessionInvalidation,
  closeUnlessAway,
  quitOrDrop,
  redisNames,
} from '@inkwell/workflows';
import type { Config } from './config.ts';
import { type BackgroundTasks, createBackgroundTasks } from './lib/background.ts';
import { createComfyProbe } from './lib/comfyui-probe.ts';
import { scrapeMetrics } from './lib/prometheus-text.ts';
import { authPlugin, sessionCookie } from './plugins/auth.ts';
import { docsPlugin } from './plugins/docs.ts';
import { errorHandler, frameworkErrors } from './plugins/errors.ts';
import { createApiRegistry, metricsPlugin } from './plugins/metrics.ts';
import { rateLimitPlugin } from './plugins/rate-limit.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminOperationsRoutes } from './routes/admin-operations.ts';
import { authRoutes } from './routes/auth.ts';
import { characterRoutes } from './routes/characters.ts';
import { comicRoutes, inviteRoutes } from './routes/comics.ts';
import { commentRoutes } from './routes/comments.ts';
import { exportRoutes } from './routes/exports.ts';
import { galleryRoutes } from './routes/gallery.ts';
import { jobRoutes, statusRoutes, workflowRoutes } from './routes/jobs.ts';
import { mediaRoutes } from './routes/media.ts';
import { moderationAdminRoutes, notificationRoutes, reportRoutes } from './routes/moderation.ts';
import { pageScriptRoutes } from './routes/page-scripts.ts';
import { readRoutes } from './routes/read.ts';
import { versionRoutes } from './routes/versions.ts';
import { healthRoutes } from './routes/health.ts';
import { createAccountService } from './services/accounts.ts';
import { createAdminService } from './services/admin.ts';
import { createAuditService } from './services/audit.ts';
import { createCharacterService } from './services/characters.ts';
import { createCollabTokens } from './services/collab-tokens.ts';
import { createComicService } from './services/comics.ts';
import { createCommentService } from './services/comments.ts';
import { createExportService } from './services/exports.ts';
import { createGalleryService } from './services/gallery.ts';
import { createJobService } from './services/jobs.ts';
import { createMediaService } from './services/media.ts';
import { createNotifier } from './services/notifications.ts';
import { createModerationService } from './services/moderation.ts';
import { createDataCipher } from './lib/encryption.ts';
import { createOperationsService } from './services/operations.ts';
import { createPageScriptService } from './services/page-scripts.ts';
import { createPublishingService } from './services/publishing.ts';
import { createVersionService } from './services/versions.ts';
import { createLoginThrottle } from './services/login-throttle.ts';
import { type Mailer, createOutboxMailer, createSmtpMailer } from './services/mail.ts';
import { createSessionCache } from './services/session-cache.ts';
import { createSessionService } from './services/sessions.ts';
import { type ObjectStorage, createStorage } from '@inkwell/storage';

/** A queued job row older than this with no BullMQ entry was lost and is marked failed. */
const ORPHAN_AGE_MS = 5 * 60_000;

export interface AppOverrides {
  database?: DatabaseClient;
  redis?: Redis;
  mailer?: Mailer;
  storage?: ObjectStorage;
  queue?: Queue<GenerationJobData>;
  now?: () => Date;
  /**
   * The periodic housekeeping (expired sessions, orphaned jobs, old versions); on unless a test turns it off
   * because it compares the whole database before and after each request, over more than one sweep's time.
   */
  housekeeping?: boolean;
}

/**
 * While Redis is down a command fails at once instead of waiting in ioredis' offline queue for a
 * reconnection (seconds, growing with the outage), and one that gets no answer gives up: what can do
 * without Redis degrades (rate limits fail open, sessions come from Postgres), what cannot answers 503,
 * and no request hangs. The connection itself keeps retrying and comes back by itself.
 */
const REDIS_OPTIONS = { enableOfflineQueue: false, commandTimeout: 2000, maxRetriesPerRequest: 2 } as const;

/** How long the admin area waits for a ComfyUI instance or another service's metrics before calling it down. */
const PROBE_TIMEOUT_MS = 2000;

/** JSON bodies are small; uploads get their own, larger limit on their own routes. */
const JSON_BODY_LIMIT = 64 * 1024;

/** Builds the whole API: used by `main.ts` to serve and by the tests through `app.inject`. */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'] },
    trustProxy: config.trustProxy,
    bodyLimit: JSON_BODY_LIMIT,
    // Keeps request ids unguessable and unique across instances.
    genReqId: () => crypto.randomUUID(),
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const database = overrides.database ?? createDatabaseClient(config.databaseUrl);
  const redis = overrides.redis ?? new Redis(config.redisUrl, REDIS_OPTIONS);
  app.addHook('onClose', async () => {
    if (!overrides.database) await database.close();
    if (!overrides.redis) await quitOrDrop(redis);
  });
  // Commands sent before the first connection would be refused (no offline queue): start once connected.
  if (redis.status !== 'ready' && !overrides.redis) await once(redis, 'ready');

  const { db } = database;
  const names = redisNames(config.redisPrefix);
  const background = createBackgroundTasks((err) => app.log.error({ err }, 'background task failed'));
  // preClose runs before any onClose hook, so pending work still has its database and Redis.
  app.addHook('preClose', () => background.settled());
  const cache =
    config.sessionCacheMs > 0
      ? createSessionCache({
          ttlMs: config.sessionCacheMs,
          maxEntries: 50_000,
          redis,
          channel: names.sessionInvalidations,
        })
      : undefined;
  if (cache) {
    await cache.ready;
    app.addHook('onClose', () => cache.close());
  }
  const announce = async (change: SessionInvalidation) => {
    try {
      await redis.publish(names.sessionInvalidations, JSON.stringify(change));
    } catch (err) {
      // The change itself is done; other API instances catch up within the cache lifetime, but open
      // collab connections of an ended session stay open until they reconnect.
      app.log.warn({ err }, 'could not tell the other services about a session change');
    }
  };
  const sessions = createSessionService({ db, ttlMs: config.sessionTtlMs, cache, announce, ...(overrides.now && { now: overrides.now }) });
  const audit = createAuditService({ db });
  const mailer =
    overrides.mailer ??
    (config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : createOutboxMailer(db, (m) => app.log.info(m)));
  const throttle = createLoginThrottle({
    redis,
    prefix: config.redisPrefix,
    onError: (err) => app.log.warn({ err }, 'sign-in throttle unavailable: allowing the attempt'),
  });
  const accounts = createAccountService({ db, sessions, audit, mailer, throttle, publicUrl: config.publicUrl });
  const admin = createAdminService({ db, sessions, audit, accounts });
  const cookieJar = sessionCookie(config.secureCookies);
  const notify = createNotifier(db);
  const comics = createComicService({
    db,
    audit,
    notify,
    publicUrl: config.publicUrl,
    publishAccessChange: async (change) => void (await redis.publish(names.comicAccess, JSON.stringify(change))),
  });
  const comments = createCommentService({
    db,
    comics,
    notify,
    announce: async (change) => {
      try {
        await redis.publish(names.comments, JSON.stringify(change));
      } catch (err) {
        // The comment is stored; open canvases see it when they next load the comments.
        app.log.warn({ err }, 'could not announce a comment change to the collab-servers');
      }
    },
  });
  const collabTokens = createCollabTokens({ redis, prefix: config.redisPrefix, sessions });
  const storage = overrides.storage ?? createStorage(config.storage);
  const publishing = createPublishingService({
    db,
    storage,
    comics,
    audit,
    publicUrl: config.publicUrl,
    onCleanupError: (err) => app.log.warn({ err }, 'could not remove an older published image'),
  });
  const queue = overrides.queue ?? new Queue<GenerationJobData>(GENERATION_QUEUE, { connection: redis, prefix: names.bull });
  // QueueEvents blocks on its connection, so it gets one of its own (BullMQ leaves closing it to us).
  const eventsConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queueEvents = new QueueEvents(GENERATION_QUEUE, { connection: eventsConnection, prefix: names.bull });
  const comicEdits = new Queue<ComicEditJobData>(COMIC_EDITS_QUEUE, { connection: redis, prefix: names.bull });
  const media = createMediaService({ db, storage, comics, comicEdits, audit, clamd: config.clamd, log: app.log });
  // Every client reports each failed reconnection during an outage: one warning a minute says enough.
  let lastRedisWarning = 0;
  const redisClients: { on(event: 'error', listener: (err: Error) => void): unknown }[] = [redis, eventsConnection, queue, queueEvents, comicEdits];
  for (const client of redisClients) {
    client.on('error', (err) => {
      if (Date.now() - lastRedisWarning < 60_000) return;
      lastRedisWarning = Date.now();
      app.log.warn({ err }, 'Redis is unreachable, retrying: rate limits let requests through and new generations answer 503 meanwhile');
    });
  }
  app.addHook('onClose', async () => {
    await closeUnlessAway([eventsConnection], () => queueEvents.close());
    await quitOrDrop(eventsConnection);
    await comicEdits.close();
    if (!overrides.queue) await queue.close();
  });
  const metricsRegistry = createApiRegistry();
  const operations = createOperationsService({
    queues: [queue, comicEdits],
    audit,
    probe: createComfyProbe({ timeoutMs: PROBE_TIMEOUT_MS }),
    comfyUrls: config.comfyUrls,
    metrics: {
      api: () => metricsRegistry.metrics(),
      collab: () => scrapeMetrics(`${config.collabUrl}/metrics`, PROBE_TIMEOUT_MS),
      worker: () => scrapeMetrics(`${config.workerUrl}/metrics`, PROBE_TIMEOUT_MS),
    },
  });
  // Outside production a missing key gets a throwaway one: what is encrypted now is unreadable after a restart.
  if (!config.dataKeys) app.log.warn('DATA_ENCRYPTION_KEY is not set: sensitive fields are encrypted with a throwaway key (npm start makes a lasting one)');
  const cipher = createDataCipher(config.dataKeys ?? { current: { id: 'ephemeral', key: randomBytes(32) }, old: [] });
  const moderation = createModerationService({ db, cipher, audit, comics, media, sessions, notify });
  const characters = createCharacterService({ db, comics, media, audit });
  const jobService = createJobService({ db, queue, comicEdits, queueEvents, redis, redisPrefix: config.redisPrefix, media, comics, characters });
  app.addHook('onClose', () => jobService.close());

  await app.register(errorHandler);
  // The API answers JSON, never pages: the strictest policy fits (the docs page sets its own).
  await app.register(securityHeadersPlugin, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: config.secureCookies,
  });
  await app.register(cookie);
  await app.register(authPlugin, { sessions, cookie: cookieJar, publicOrigin: new URL(config.publicUrl).origin });
  if (config.rateLimitEnabled) await app.register(rateLimitPlugin, { redis, prefix: config.redisPrefix });
  await app.register(metricsPlugin, { registry: metricsRegistry });
  await app.register(docsPlugin, { cookieName: cookieJar.name });

  await app.register(healthRoutes, {
    checks: [
      { name: 'postgres', check: () => database.sql`select 1` },
      { name: 'redis', check: () => redis.ping() },
      { name: 'storage', check: () => storage.check() },
    ],
  });
  await app.register(authRoutes, { prefix: '/api/v1/auth', accounts, sessions, audit, background, cookie: cookieJar });
  await app.register(adminRoutes, { prefix: '/api/v1/admin', admin });
  await app.register(adminOperationsRoutes, { prefix: '/api/v1/admin', operations });
  await app.register(comicRoutes, { prefix: '/api/v1/comics', comics, collabTokens, publishing, moderation });
  await app.register(characterRoutes, { prefix: '/api/v1/comics', characters });
  await app.register(commentRoutes, { prefix: '/api/v1/comics', comments });
  await app.register(reportRoutes, { prefix: '/api/v1/reports', moderation });
  await app.register(notificationRoutes, { prefix: '/api/v1', moderation });
  await app.register(moderationAdminRoutes, { prefix: '/api/v1/admin', moderation });
  await app.register(readRoutes, { prefix: '/api/v1/read', publishing });
  await app.register(galleryRoutes, { prefix: '/api/v1', gallery: createGalleryService({ db }) });
  await app.register(exportRoutes, { prefix: '/api/v1/comics', exports: createExportService({ db, storage, comics }) });
  await app.register(inviteRoutes, { prefix: '/api/v1/invites', comics });
  await app.register(mediaRoutes, { prefix: '/api/v1/media', media, maxUploadBytes: config.maxUploadBytes });
  await app.register(statusRoutes, { prefix: '/api/v1/status', generationSimulated: config.generationSimulated });
  await app.register(workflowRoutes, { prefix: '/api/v1/workflows' });
  await app.register(jobRoutes, { prefix: '/api/v1/jobs', jobs: jobService });
  await app.register(pageScriptRoutes, { prefix: '/api/v1/comics', pageScripts: createPageScriptService({ db, comics, jobs: jobService }) });
  const versions = createVersionService({ db, comics, jobs: jobService, audit });
  await app.register(versionRoutes, { prefix: '/api/v1/comics', versions });

  if (overrides.housekeeping !== false) {
    // Expired sessions are refused on use already; this keeps the table small.
    const sweep = setInterval(() => void sessions.deleteExpired().catch((err) => app.log.warn({ err }, 'session sweep failed')), 3_600_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
    // Rows a Redis failure left without a queue entry: settled at start and every few minutes after.
    const failOrphans = () => void jobService.failOrphans(ORPHAN_AGE_MS).catch((err) => app.log.warn({ err }, 'orphan job sweep failed'));
    app.addHook('onReady', async () => failOrphans());
    const orphanSweep = setInterval(failOrphans, ORPHAN_AGE_MS);
    orphanSweep.unref();
    app.addHook('onClose', async () => clearInterval(orphanSweep));
    // Automatic versions thin out with age (services/versions.ts, prune).
    const versionSweep = setInterval(() => void versions.prune().catch((err) => app.log.warn({ err }, 'version pruning failed')), 3_600_000);
    versionSweep.unref();
    app.addHook('onClose', async () => clearInterval(versionSweep));
  }

  app.decorate('admin', admin);
  app.decorate('background', background);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    admin: ReturnType<typeof createAdminService>;
    background: BackgroundTasks;
  }
}
