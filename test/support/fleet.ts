// Synthetic fleets for scale, crash and property tests.

/** `n` enabled services as one YAML document; `variant` changes every service's content. */
export function fleetYaml(n: number, variant = 0): string {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    const runtime = ['bun', 'node', 'custom'][i % 3];
    lines.push(
      `  app${i}:`,
      `    description: App ${i} revision ${variant}`,
      `    runtime: ${runtime}`,
      '    enable: true',
      `    domain: app${i}.example.com`,
      `    port: ${10000 + i}`,
      '    environment:',
      `      REVISION: "${variant}"`,
    );
    if (runtime === 'custom') lines.push('    startCommand: ./bin/server');
    if (i % 2 === 0) lines.push('    data:', '      sqlite: ${dataDir}/data/app.db');
  }
  return `${lines.join('\n')}\n`;
}
