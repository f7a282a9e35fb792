// The callbacks given to page.evaluate run in the browser.
/// <reference lib="dom" />
import { expect, test, type Page } from '@playwright/test';

/** The main navigation, with the phone menu opened first where there is one. */
async function navigation(page: Page) {
  const toggle = page.getByRole('button', { name: 'Open menu' });
  if (await toggle.isVisible()) await toggle.click();
  return page.getByRole('navigation', { name: 'Main' });
}

function newAccount() {
  const username = `e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  return { username, email: `${username}@example.com`, password: 'a long enough passphrase' };
}

test('a new user registers, signs out, signs in again and sees their sessions', async ({ page }) => {
  const account = newAccount();

  await page.goto('/');
  await (await navigation(page)).getByRole('link', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();

  // The API's validation errors appear beside their fields.
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Password must be at least 10 characters')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Profile' })).toContainText(account.email);

  let nav = await navigation(page);
  await expect(nav).toContainText(account.username);
  await nav.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: /Draw a story/ })).toBeVisible();
  nav = await navigation(page);
  await expect(nav.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(nav).not.toContainText(account.username);

  // A signed-out visit to a protected page asks to sign in and comes back after.
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await page.getByLabel('Email or username').fill(account.username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Signing out ended the first session, so only this one is left.
  const sessions = page.getByRole('region', { name: 'Sessions' }).getByRole('listitem');
  await expect(sessions).toHaveCount(1);
  await expect(sessions.first()).toContainText('This device');
  await expect(page.getByRole('button', { name: 'Sign out of all other sessions' })).toBeDisabled();

  // Without users:read there is no admin link, and the page itself refuses.
  nav = await navigation(page);
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'You don’t have access to this page' })).toBeVisible();

  nav = await navigation(page);
  await nav.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: /Draw a story/ })).toBeVisible();
  await expect((await navigation(page)).getByRole('link', { name: 'Sign in' })).toBeVisible();
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('on a phone the menu opens, fits the screen and its links work', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'phone', 'the folded menu exists on narrow screens only');

  await page.goto('/');
  const toggle = page.getByRole('button', { name: 'Open menu' });
  const signIn = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' });
  await expect(toggle).toBeVisible();
  await expect(signIn).toBeHidden();

  await toggle.click();
  await expect(page.getByRole('button', { name: 'Close menu' })).toHaveAttribute('aria-expanded', 'true');
  await expect(signIn).toBeInViewport();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);

  await signIn.click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(signIn).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
