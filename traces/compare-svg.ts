// Reports side by side: the report.svg of each run of one workload (compare
// --targets), each under its title, in one picture. Each report stays a
// complete SVG of its own, nested at its offset, so none is redrawn.

/** Width and height of an `<svg …>`'s root, from its attributes. */
function sizeOf(svg: string): { w: number; h: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const w = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const h = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(w > 0 && h > 0)) throw new Error('a report without width and height cannot be placed');
  return { w, h };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const TITLE_H = 32;

export function sideBySideSvg(panels: readonly { title: string; svg: string }[]): string {
  let x = 0;
  let height = 0;
  const parts: string[] = [];
  for (const p of panels) {
    const { w, h } = sizeOf(p.svg);
    const body = p.svg.trim().replace(/^<\?xml[^>]*>\s*/, '').replace(/^<svg\b/, `<svg x="${x}" y="${TITLE_H}"`);
    parts.push(`<text x="${x + 16}" y="22" font-size="18" font-weight="bold">${esc(p.title)}</text>`, body);
    x += w;
    height = Math.max(height, h);
  }
  const total = height + TITLE_H;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${total}" viewBox="0 0 ${x} ${total}" font-family="sans-serif">`,
    `<rect width="${x}" height="${total}" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n') + '\n';
}
