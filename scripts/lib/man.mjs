// docs/atelier-emit.1.md → roff (man(7) macros). The page uses a small subset of
// Markdown, and this converts exactly that subset: a `# name(section)` title,
// `## SECTION` headings, paragraphs, ``` fenced blocks, `code`, **bold**, *italic*
// and [links](…) (their text). An option paragraph (`` `-x, --flag ARG` — text ``)
// becomes a tagged paragraph, as man pages show options.

/** roff's escapes for running text: backslash, and a line starting with . or ' is a request. */
function escapeText(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/—/g, '\\(em')
    .replace(/≥/g, '\\(>=')
    .replace(/≤/g, '\\(<=')
    .replace(/→/g, '\\(->')
    .replace(/…/g, '...');
}

function guardLine(line) {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

/** Inline Markdown to roff fonts. Code spans are cut out first, so nothing inside them is read as Markdown. */
export function inline(text) {
  const parts = text.split(/(`[^`]*`)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `\\fB${escapeText(part.slice(1, -1))}\\fR`;
      return escapeText(part.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1'))
        .replace(/\*\*([^*]+)\*\*/g, '\\fB$1\\fR')
        .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1\\fI$2\\fR');
    })
    .join('');
}

export function markdownToRoff(markdown, { version, date }) {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  let paragraph = [];
  let section = '';
  const flush = () => {
    if (paragraph.length === 0) return;
    const text = paragraph.join(' ');
    paragraph = [];
    // whatis and apropos read NAME as `name \- summary`.
    if (section === 'NAME') {
      out.push(guardLine(inline(text).replace(' \\(em ', ' \\- ')));
      return;
    }
    // `--flag ARG` — description
    const option = /^(`[^`]+`(?:, `[^`]+`)*) — (.*)$/.exec(text);
    if (option) out.push('.TP', guardLine(inline(option[1])), guardLine(inline(option[2])));
    else out.push('.PP', guardLine(inline(text)));
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const title = /^# (\S+)\((\d)\)\s*$/.exec(line);
    if (title) {
      out.push(`.TH ${title[1].toUpperCase().replace(/-/g, '\\-')} ${title[2]} "${date}" "atelier\\-emit ${version}" "User Commands"`);
      continue;
    }
    const heading = /^##+ (.*)$/.exec(line);
    if (heading) {
      flush();
      section = heading[1].toUpperCase();
      out.push(`.SH ${escapeText(section)}`);
      continue;
    }
    if (line.startsWith('```')) {
      flush();
      out.push('.PP', '.RS 4', '.nf');
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) out.push(guardLine(escapeText(lines[i])));
      out.push('.fi', '.RE');
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line.trim());
  }
  flush();
  return `${out.join('\n')}\n`;
}
