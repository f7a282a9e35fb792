/** The props of a <Form> control built on <FieldShell>: its element's `Attributes` plus the field's own. */
export type FieldProps<Attributes> = Omit<Attributes, 'name' | 'value'> & {
  name: string;
  label: string;
  value: string;
  hint?: string;
};
