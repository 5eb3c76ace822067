import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

const remarkPlugins = [remarkGfm];
// Only fenced blocks that name their language are coloured; guessing would cost more than it shows.
const rehypePlugins = [rehypeHighlight];

/** An answer's Markdown, with GitHub's tables and lists and highlighted code. Raw HTML is not rendered. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
