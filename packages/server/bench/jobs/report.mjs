import { megabytes, round } from "./scenarios.mjs";

function seconds(ms) {
  return `${round(ms / 1000, 2)} s`;
}

function mebibytes(bytesCount) {
  return `${megabytes(bytesCount)} MiB`;
}

/** Returns the peak RSS of the large export over the baseline export, per database that ran both. */
export function memoryRatios(exports, members, baselineMembers) {
  const ratios = {};
  for (const database of new Set(exports.map((entry) => entry.database))) {
    const large = exports.find((entry) => entry.database === database && entry.members === members && entry.error === undefined);
    const baseline = exports.find((entry) => entry.database === database && entry.members === baselineMembers && entry.error === undefined);
    if (large === undefined || baseline === undefined) continue;
    ratios[database] = {
      peakRssRatio: round(large.memory.peakRssBytes / baseline.memory.peakRssBytes, 2),
      peakAnonRatio: round(large.memory.peakAnonBytes / baseline.memory.peakAnonBytes, 2),
      growthBytes: { [baselineMembers]: baseline.memory.growthBytes, [members]: large.memory.growthBytes },
      memberRatio: round(members / baselineMembers, 1),
    };
  }
  return ratios;
}

/** Formats the results as markdown: one table for the batch invites, one for the exports, and the memory ratios. */
export function formatMarkdown(report) {
  const { options, batchInvites, exports, ratios, postgres, machine, load } = report;
  const lines = [];

  lines.push(`## Long-running operations: batch invite and export`, "");
  lines.push(
    `Machine: ${machine.cpuModel}, ${machine.cpus} CPUs, Node ${machine.node}; load average ${load.before.join(" / ")} at the start, ${load.after.join(" / ")} at the end.`,
    "Times are the operation's own `createdAt` to `completedAt` (server clock, the 202 is sent right after `createdAt`); the poll column is when `waitForOperation` (1 s minimum interval) saw DONE.",
    "",
  );
  if (postgres.skipped !== undefined) lines.push(`PostgreSQL skipped: ${postgres.skipped}`, "");

  if (options.scenarios.includes("batch")) formatBatchInvites(lines, options, batchInvites);
  if (options.scenarios.includes("export")) formatExports(lines, options, exports, ratios);
  return lines.join("\n");
}

function formatBatchInvites(lines, options, batchInvites) {
  lines.push(`### Batch invite of ${options.batch} entries, emails as .eml files`, "");
  lines.push("| database | 202 → DONE | DONE seen by poll | all .eml written | emails/s | succeeded / failed |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const entry of batchInvites) {
    if (entry.error !== undefined) {
      lines.push(`| ${entry.database} | failed: ${entry.error.replaceAll("|", "\\|").split("\n")[0]} | | | | |`);
      continue;
    }
    lines.push(
      `| ${entry.database} | ${seconds(entry.doneMs)} | ${seconds(entry.observedDoneMs)} | ${seconds(entry.emails.allWrittenMs)} | ${entry.emails.perSecond} | ${entry.succeeded} / ${entry.failed} |`,
    );
  }
  lines.push("");
}

function formatExports(lines, options, exports, ratios) {
  lines.push("### Export of members to CSV, each in a fresh server process", "");
  lines.push("| database | members | 202 → DONE | rows/s | CSV size | data records | RSS before | peak RSS during export | growth | peak anonymous RSS |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const entry of exports) {
    if (entry.error !== undefined) {
      lines.push(`| ${entry.database} | ${entry.members} | failed: ${entry.error.replaceAll("|", "\\|").split("\n")[0]} | | | | | | | |`);
      continue;
    }
    const { memory, csv } = entry;
    lines.push(
      `| ${entry.database} | ${entry.members} | ${seconds(entry.doneMs)} | ${entry.rowsPerSecond} | ${mebibytes(csv.bytes)} | ${csv.dataRecords} | ${mebibytes(memory.rssBeforeBytes)} | ${mebibytes(memory.peakRssBytes)} | ${mebibytes(memory.growthBytes)} | ${mebibytes(memory.peakAnonBytes)} |`,
    );
  }
  lines.push("");

  for (const [database, ratio] of Object.entries(ratios)) {
    const growth = Object.entries(ratio.growthBytes).map(([count, bytesCount]) => `${mebibytes(bytesCount)} for ${count}`).join(", ");
    lines.push(`- ${database}: peak RSS with ${options.members} members is ${ratio.peakRssRatio}× the peak with ${options.baselineMembers} (${ratio.memberRatio}× the members), and the peak anonymous RSS ${ratio.peakAnonRatio}×; growth over the pre-export RSS: ${growth}.`);
  }
  lines.push("");
}
