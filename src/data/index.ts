export {
  DataError,
  parseNumericCsv,
  readNumericCsv,
  describePath,
  type NumericTable,
} from './csv.js';
