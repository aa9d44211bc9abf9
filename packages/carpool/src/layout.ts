// `@convoy/carpool/layout`: how bundles are named and laid out in storage, and the template-scanner contract. Light
// on purpose (no postcss, no builder): servers and template packages import it, and so does the main entry.
export {
  carpoolName,
  carpoolFiles,
  carpoolRecordPath,
  isCarpoolKind,
  isCarpoolPath,
  parseCarpoolPath,
  parseCarpoolRecordPath,
  CARPOOL_DIRECTORY,
  CARPOOL_FORMAT,
  type CarpoolKind,
  type CarpoolNameMember,
  type CarpoolPath,
} from './name.js'
export { isTemplateScanner, type CarpoolBlock, type TemplateScanner } from './template-scanner.js'
