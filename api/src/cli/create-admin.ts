// `npm run create-admin -- --email ada@example.com --username ada`, with the password on standard input
// (never on the command line, where shell history and `ps` would keep it).
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { migrateDatabase } from '@inkwell/db';
import { password as passwordRule, email as emailRule, username as usernameRule } from '../contract.ts';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';

const { values } = parseArgs({ options: { email: { type: 'string' }, username: { type: 'string' } } });
if (!values.email || !values.username) {
  console.error('usage: npm run create-admin -- --email EMAIL --username NAME   (the password is read from standard input)');
  process.exit(2);
}

const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
if (process.stdin.isTTY) process.stderr.write('Password: ');
const password = (await rl[Symbol.asyncIterator]().next()).value ?? '';
rl.close();

const input = {
  email: emailRule.safeParse(values.email),
  username: usernameRule.safeParse(values.username),
  password: passwordRule.safeParse(password),
};
const problems = Object.entries(input).flatMap(([key, r]) => (r.success ? [] : [`${key}: ${r.error.issues[0]?.message}`]));
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(2);
}

const config = { ...loadConfig(), logLevel: 'warn' as const };
await migrateDatabase(config.databaseUrl);
const app = await buildApp(config);
const result = await app.admin.ensureSuperAdmin({ email: input.email.data!, username: input.username.data!, password });
await app.close();
console.log(result === 'created' ? `Super admin ${values.username} created.` : 'An account with that email or username already exists: nothing changed.');
