/** Renders a status or role as a coloured label. The text carries the meaning, and the colour only helps. */
export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value.toLowerCase()}`}>{value}</span>;
}
