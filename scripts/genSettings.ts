/**
 * `npm run gen:settings`: writes the settings reference generated from infra/settings.ts, the
 * component's settings args and docs/operations.md's configuration table
 * (scripts/settingsReference.ts). Run it after changing a setting; the test of the reference
 * fails until the committed files match.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  OPERATIONS_DOC,
  renderSettingArgs,
  renderSettingsTable,
  SETTING_ARGS_FILE,
  withSettingsTable,
} from "./settingsReference.js";

writeFileSync(SETTING_ARGS_FILE, renderSettingArgs());
writeFileSync(
  OPERATIONS_DOC,
  withSettingsTable(readFileSync(OPERATIONS_DOC, "utf8"), renderSettingsTable()),
);
console.log(`wrote ${SETTING_ARGS_FILE} and the settings table of ${OPERATIONS_DOC}`);
