import { describe, expect, it } from "vitest";
import { GENERATED_MARKER, headerFrom, renderDocument } from "../../bench/report.js";

const env = {
  date: "2026-11-26T00:00:00.000Z",
  cpuModel: "Test CPU",
  cpus: 2,
  memoryGiB: 4,
  os: "Linux (x64)",
  node: "v20.0.0",
  java: "openjdk 17",
  packages: { esbuild: "0.28.2" },
  loadAverage: [0.5, 0.4, 0.3],
};

describe("headerFrom", () => {
  it("keeps the hand-written text above the generated marker", () => {
    const existing = `# Mine\n\nMethod notes.\n\n${GENERATED_MARKER}\n\nold figures\n`;
    expect(headerFrom(existing)).toBe("# Mine\n\nMethod notes.");
  });

  it("falls back to a default header when there is no file or no marker", () => {
    expect(headerFrom(undefined)).toMatch(/^# Benchmarks/);
    expect(headerFrom("# Someone's notes without a marker")).toMatch(/^# Benchmarks/);
  });
});

describe("renderDocument", () => {
  it("puts the header, the marker, the run's machine and a targets summary before the sections", () => {
    const text = renderDocument(
      "# Mine",
      env,
      { durationSeconds: 90, loadAverageAtEnd: [1, 1, 1] },
      [
        {
          title: "9. Example",
          method: "How.",
          tables: [{ title: "t", headers: ["a", "b"], rows: [["x", "1"]] }],
          targets: [{ target: "b ≤ 2", measured: "1", met: true }],
          notes: ["A note."],
        },
      ],
      [],
    );
    const order = [
      "# Mine",
      GENERATED_MARKER,
      "Test CPU, 2 CPUs",
      "## Targets",
      "b ≤ 2",
      "## 9. Example",
      "- A note.",
    ];
    const positions = order.map((part) => text.indexOf(part));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("lists benchmarks that failed", () => {
    const text = renderDocument(
      "# Mine",
      env,
      { durationSeconds: 1, loadAverageAtEnd: [0, 0, 0] },
      [],
      ["cost: timed out"],
    );
    expect(text).toContain("- cost: timed out");
  });
});
