import { useId } from 'react';
import { useUploadAttachment } from '../../api/chat-queries';
import type { Attachment } from '../../api/chat-types';
import { ProblemAlert } from '../../components/ProblemAlert';

type Props = {
  sessionId: string;
  attached: Attachment[];
  onChange: (attached: Attachment[]) => void;
};

/** Uploads files as they are chosen; a refused one shows the limit it broke, in the server's words. */
export function AttachmentPicker({ sessionId, attached, onChange }: Props) {
  const upload = useUploadAttachment(sessionId);
  const id = useId();
  const choose = async (files: FileList | null) => {
    let next = attached;
    for (const file of Array.from(files ?? [])) {
      try {
        const saved = await upload.mutateAsync(file);
        next = [...next.filter((one) => one.name !== saved.name), saved];
        onChange(next);
      } catch {
        // The error stays on the mutation and is shown below.
      }
    }
  };
  return (
    <div className="chat-attachments">
      <label htmlFor={id} className="button small chat-attach-button">
        + Attach files
      </label>
      <input
        id={id}
        className="sr-only"
        type="file"
        multiple
        onChange={(event) => {
          void choose(event.target.files);
          event.target.value = '';
        }}
      />
      {upload.isPending && <span className="small muted">uploading…</span>}
      {attached.length > 0 && (
        <ul className="chat-chips" aria-label="Files to send">
          {attached.map((file) => (
            <li key={file.name}>
              {file.name} <span className="muted small">{Math.ceil(file.size / 1024)} KB</span>
              <button
                type="button"
                className="button ghost small"
                aria-label={`Remove ${file.name}`}
                onClick={() => onChange(attached.filter((one) => one.name !== file.name))}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <ProblemAlert error={upload.error} title="The file was not attached" />
    </div>
  );
}
