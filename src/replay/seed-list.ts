// Seed lists as the CLI takes them: "42-51", "42,45", or a mix ("42,45-47").
export function parseSeedList(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a seed or a range like 42-51`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`range ${part} runs backwards`);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}
