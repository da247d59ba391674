#!/usr/bin/env bash
# CI: `npm audit --omit=dev --audit-level=high` over the production dependencies (what the image
# and the npm package ship). Exit 1 when npm reports a high or critical vulnerability, listing
# each vulnerable package with its severity and whether a fix is available.
#
# npm needs the registry's advisory service for this (a POST to /-/npm/v1/security/advisories/bulk).
# Where the registry does not offer it (a mirror or proxy that allows only GET, no network), nothing
# can be checked: that is said on stderr and does not fail the run, unless PRESCALE_AUDIT_REQUIRED=1.
# Any other failure of npm audit fails the run.
# PRESCALE_NPM names the npm to run (tests pass a stand-in).
set -uo pipefail
cd "$(dirname "$0")/.."
NPM="${PRESCALE_NPM:-npm}"
report=$("$NPM" audit --omit=dev --audit-level=high --json 2>/dev/null)
code=$?
printf '%s' "$report" | PRESCALE_AUDIT_EXIT="$code" node -e '
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const text = Buffer.concat(chunks).toString("utf8");
  const npmExit = Number(process.env.PRESCALE_AUDIT_EXIT);
  const required = process.env.PRESCALE_AUDIT_REQUIRED === "1";
  let r;
  try {
    r = JSON.parse(text);
  } catch {
    console.error(`npm audit: exit ${npmExit}, and its output is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
    process.exit(1);
  }
  const counts = r && r.metadata && r.metadata.vulnerabilities;
  if (counts && typeof counts === "object") {
    const serious = Object.values(r.vulnerabilities || {}).filter((v) => v.severity === "high" || v.severity === "critical");
    if ((counts.high || 0) + (counts.critical || 0) > 0 || serious.length > 0) {
      console.error(`npm audit: ${counts.critical || 0} critical, ${counts.high || 0} high vulnerabilities in production dependencies:`);
      for (const v of serious) {
        const fix = v.fixAvailable === false ? "no fix available" : v.fixAvailable === true ? "fix: npm audit fix" : v.fixAvailable ? `fix: ${v.fixAvailable.name}@${v.fixAvailable.version}` : "";
        const titles = (v.via || []).filter((x) => typeof x === "object").map((x) => x.title).join("; ");
        console.error(`  ${v.name} (${v.severity}, ${v.range})${titles ? `: ${titles}` : ""}${fix ? ` [${fix}]` : ""}`);
      }
      process.exit(1);
    }
    console.log(`npm audit: no high or critical vulnerability in production dependencies (${counts.moderate || 0} moderate, ${counts.low || 0} low)`);
    process.exit(0);
  }
  const where = String((r && r.uri) || "");
  const unreachable = /\/-\/npm\/v1\/security\//.test(where) || /^(ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH)$/.test(String((r && r.code) || ""));
  const said = String((r && (r.message || (r.error && r.error.summary))) || `exit ${npmExit}`);
  if (unreachable) {
    console.error(`npm audit: the registry offers no advisory service here (${said}); production dependencies were NOT audited`);
    process.exit(required ? 1 : 0);
  }
  console.error(`npm audit failed: ${said}`);
  process.exit(1);
});
'
