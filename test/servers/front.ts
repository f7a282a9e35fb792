// The one-origin front server (web/front-server.ts) as `npm start` runs it, with a stand-in for the built app,
// so that it runs without a web build: the collaboration bench connects its clients through it, as browsers
// do, and test/collab-handoff.test.ts hands websockets off through it.
import { handOffToParent } from '../../collab-server/src/handoff.ts';
import { createFrontServer } from '../../web/front-server.ts';

const front = createFrontServer({
  app: (_req, res) => res.end('app'),
  apiTarget: process.env.API_INTERNAL_URL ?? 'http://127.0.0.1:4000',
  collabTarget: process.env.COLLAB_INTERNAL_URL ?? 'http://127.0.0.1:4100',
  mediaMaxMb: 20,
  handOffCollab: handOffToParent(),
});
front.server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
process.on('SIGTERM', () => void front.close().then(() => process.exit(0)));
