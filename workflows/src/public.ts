import { z } from 'zod';
import { WORKFLOWS } from './catalogue.ts';
import { limitsFor } from './params.ts';

export interface PublicWorkflow {
  id: string;
  name: string;
  description: string;
  jobType: string;
  permission: string;
  /** JSON Schema of the parameters for the caller's role: the studio builds its form from it. */
  params: unknown;
  imageParams: readonly string[];
}

/** The catalogue as the API lists it, with limits for the caller's role. */
export function publicCatalogue(roleLevel: number): PublicWorkflow[] {
  const limits = limitsFor(roleLevel);
  return WORKFLOWS.map((w) => ({
    id: w.id,
    name: w.name,
    description: w.description,
    jobType: w.jobType,
    permission: w.permission,
    params: z.toJSONSchema(w.params(limits), { io: 'input' }),
    imageParams: w.imageParams,
  }));
}
