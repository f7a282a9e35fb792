// `npm start`'s orchestrator keeps the site up: a service that dies is started again by itself, with a
// pause that says so in the log, while SIGTERM still stops everything. Runs only the API, on its own port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './private-services.ts';

interface Stack {
  process: ChildProcess;
  port: number;
  /** Everything the orchestrator printed so far. */
  log(): string;
}

const stacks: Stack[] = [];
afterEach(() => {
  for (const stack of stacks.splice(0)) stack.process.kill('SIGKILL');
});

async function startApi(): Promise<Stack> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/run-all.ts'], {
    env: {
      ...process.env,
      SERVICES: 'api',
      API_PORT: String(port),
      // The database is the test database (migrated by the global setup); the Redis keys are this test's own.
      REDIS_PREFIX: `inkwell-test:${randomBytes(6).toString('hex')}:`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stack = { process: child, port, log: () => output };
  stacks.push(stack);
  await expect.poll(() => healthy(port), { timeout: 20_000, interval: 200 }).toBe(true);
  return stack;
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).ok;
  } catch {
    return false;
  }
}

/** The services the orchestrator runs right now, by process id. */
function childrenOf(parent: ChildProcess): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

describe('run-all', () => {
  it('restarts a SIGKILLed service by itself, says so, and it serves again', async () => {
    const stack = await startApi();
    const [first] = childrenOf(stack.process);
    expect(first).toBeGreaterThan(0);

    process.kill(first!, 'SIGKILL');
    await expect.poll(stack.log, { timeout: 5000 }).toContain('[api] exited (SIGKILL); restarting in 1 s (attempt 2)');
    await expect.poll(() => healthy(stack.port), { timeout: 20_000, interval: 200 }).toBe(true);
    const [second] = childrenOf(stack.process);
    expect(second).not.toBe(first);

    // Dying again soon after a restart doubles the pause.
    process.kill(second!, 'SIGKILL');
    await expect.poll(stack.log, { timeout: 5000 }).toContain('[api] exited (SIGKILL); restarting in 2 s (attempt 3)');
    await expect.poll(() => healthy(stack.port), { timeout: 20_000, interval: 200 }).toBe(true);

    // SIGTERM still stops everything, cleanly.
    const third = childrenOf(stack.process);
    stack.process.kill('SIGTERM');
    const [code] = (await once(stack.process, 'exit')) as [number | null];
    expect(code).toBe(0);
    for (const pid of third) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);

  it('stops at once on SIGTERM while a restart is pending, and starts nothing more', async () => {
    const stack = await startApi();
    const [child] = childrenOf(stack.process);
    process.kill(child!, 'SIGKILL');
    await expect.poll(stack.log, { timeout: 5000 }).toContain('restarting in 1 s');
    stack.process.kill('SIGTERM');
    const [code] = (await once(stack.process, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(await healthy(stack.port)).toBe(false);
  }, 60_000);
});
