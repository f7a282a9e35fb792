import type { HandleClientError } from '@sveltejs/kit/hooks';
import { apiErrorPage } from '#lib/api.ts';

export const handleError: HandleClientError = ({ error }) => apiErrorPage(error);
