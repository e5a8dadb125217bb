export interface FieldProps {
  label: string;
  name: string;
  type?: 'text' | 'password' | 'email' | 'search';
  value?: string;
  autocomplete?: string;
  required?: boolean;
  /** The id of a hint or rule list the field is described by. */
  describedBy?: string;
  /** Why the server refused this field's value. */
  error?: string;
}

/** A labelled input; a refusal is shown next to it and tied to it for screen readers. */
export function Field({ label, name, type = 'text', value, autocomplete, required = true, describedBy, error }: FieldProps) {
  const id = `falt-${name}`;
  const errorId = `${id}-fel`;
  const described = [describedBy, error ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  // preact types each input type's attributes apart; the ones used here take the same attributes.
  const inputType = type as 'text';
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {error && <p id={errorId} class="field-error">{error}</p>}
      <input id={id} name={name} type={inputType} value={type === 'password' ? undefined : value} autocomplete={autocomplete}
        required={required} aria-invalid={error ? 'true' : undefined} aria-describedby={described} />
    </div>
  );
}
