// People for the browser tests: a fresh account each, signed up through the register page.
import { type Page, expect, request } from '@playwright/test';

export interface Account {
  username: string;
  email: string;
  password: string;
}

export function newAccount(name: string): Account {
  const username = `${name}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return { username, email: `${username}@example.com`, password: 'a long enough passphrase' };
}

export async function register(page: Page, account: Account) {
  await page.goto('/register');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** The stack's super admin (playwright.config.ts hands it to the API), who grants roles. */
export const SUPER_ADMIN: Account = { username: 'e2e_admin', email: 'e2e_admin@example.com', password: 'the e2e admin passphrase' };

/**
 * Gives `account` a site role (say, creator) through the admin API, as an administrator would. It ends the
 * account's sessions: sign in again afterwards.
 */
export async function grantRole(baseURL: string, account: Account, role: string) {
  const admin = await request.newContext({ baseURL });
  try {
    const signIn = await admin.post('/api/v1/auth/login', { data: { login: SUPER_ADMIN.username, password: SUPER_ADMIN.password } });
    expect(signIn.ok(), await signIn.text()).toBe(true);
    const found = await admin.get(`/api/v1/admin/users?q=${encodeURIComponent(account.username)}`);
    const user = ((await found.json()) as { data: { id: string; username: string }[] }).data.find((u) => u.username === account.username);
    expect(user, `${account.username} is listed`).toBeDefined();
    const changed = await admin.patch(`/api/v1/admin/users/${user!.id}`, { data: { role } });
    expect(changed.ok(), await changed.text()).toBe(true);
  } finally {
    await admin.dispose();
  }
}
