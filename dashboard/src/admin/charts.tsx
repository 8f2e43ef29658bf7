/** Small SVG bar charts for the admin's statistics: no chart library, since a few labelled bars is all they draw. */

export interface Bar {
  label: string;
  /** Stacked parts, drawn left to right. */
  parts: { name: string; value: number; color: string }[];
}

/** Horizontal bars, one per row, each a stack of its parts, scaled to the largest total; `empty` when none. */
export function BarChart(props: { title: string; bars: Bar[]; unit?: string; empty: string }) {
  const { title, bars, unit = "" } = props;
  if (bars.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{title}</figcaption>
        <p class="meta">{props.empty}</p>
      </figure>
    );
  }
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((sum, p) => sum + p.value, 0)));
  const row = 26;
  const labelWidth = 120;
  const width = 560;
  const scale = (width - labelWidth - 90) / max;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={title} width={width} height={Math.max(row, bars.length * row)}>
        {bars.map((bar, i) => {
          let x = labelWidth;
          const total = bar.parts.reduce((sum, p) => sum + p.value, 0);
          return (
            <g key={bar.label} transform={`translate(0 ${i * row})`}>
              <text x={0} y={17}>
                {bar.label}
              </text>
              {bar.parts.map((part) => {
                const w = part.value * scale;
                const rect = (
                  <rect key={part.name} x={x} y={4} width={w} height={row - 8} fill={part.color}>
                    <title>{`${part.name}: ${part.value}${unit}`}</title>
                  </rect>
                );
                x += w;
                return rect;
              })}
              <text x={x + 6} y={17}>
                {`${Math.round(total * 100) / 100}${unit}`}
              </text>
            </g>
          );
        })}
      </svg>
      <p class="legend">
        {[...new Map(bars.flatMap((b) => b.parts.map((p) => [p.name, p.color] as const))).entries()].map(
          ([name, color]) => (
            <span key={name}>
              <i style={{ background: color }} /> {name}
            </span>
          ),
        )}
      </p>
    </figure>
  );
}
