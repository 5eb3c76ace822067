import type { InputValues } from './run-input';
import type { InputField } from './spec-outline';

type Props = {
  fields: InputField[];
  values: InputValues;
  onChange: (values: InputValues) => void;
  json: string;
  onJsonChange: (text: string) => void;
  errors: Record<string, string>;
};

/** The run's input: a field per declared input, or a JSON box when the spec declares none. */
export function InputsForm({ fields, values, onChange, json, onJsonChange, errors }: Props) {
  if (fields.length === 0) {
    return (
      <fieldset className="inputs-form" data-testid="inputs-json">
        <legend>Input</legend>
        <label>
          Input (JSON object; this spec declares no inputs)
          <textarea
            rows={4}
            value={json}
            placeholder='{"name": "world"}'
            onChange={(event) => onJsonChange(event.target.value)}
            aria-invalid={Boolean(errors.input)}
            aria-describedby={errors.input ? 'input-json-error' : undefined}
          />
        </label>
        {errors.input && (
          <p className="field-error" id="input-json-error">
            {errors.input}
          </p>
        )}
      </fieldset>
    );
  }
  return (
    <fieldset className="inputs-form" data-testid="inputs-form">
      <legend>Inputs</legend>
      {fields.map((field) => {
        const id = `input-${field.name}`;
        const error = errors[field.name];
        const value = values[field.name];
        const described = [field.description && `${id}-help`, error && `${id}-error`]
          .filter(Boolean)
          .join(' ');
        const common = {
          id,
          name: field.name,
          'aria-invalid': Boolean(error),
          ...(described && { 'aria-describedby': described }),
        };
        return (
          <div className="field" key={field.name} data-input={field.name} data-input-type={field.type}>
            {field.type === 'boolean' ? (
              <label className="check">
                <input
                  type="checkbox"
                  {...common}
                  checked={value === true}
                  onChange={(event) => onChange({ ...values, [field.name]: event.target.checked })}
                />
                {field.name}
              </label>
            ) : (
              <label htmlFor={id}>
                {field.name}{' '}
                <span className="muted">
                  ({field.type}
                  {field.required ? ', required' : ''})
                </span>
                {field.type === 'object' || field.type === 'array' ? (
                  <textarea
                    rows={3}
                    {...common}
                    value={typeof value === 'string' ? value : ''}
                    onChange={(event) => onChange({ ...values, [field.name]: event.target.value })}
                  />
                ) : (
                  <input
                    type={field.type === 'string' ? 'text' : 'number'}
                    step={field.type === 'integer' ? 1 : 'any'}
                    required={field.required}
                    {...common}
                    value={typeof value === 'string' ? value : ''}
                    onChange={(event) => onChange({ ...values, [field.name]: event.target.value })}
                  />
                )}
              </label>
            )}
            {field.description && (
              <p className="muted small" id={`${id}-help`}>
                {field.description}
              </p>
            )}
            {error && (
              <p className="field-error" id={`${id}-error`}>
                {error}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
