export {
  DataError,
  parseNumericCsv,
  readNumericCsv,
  describePath,
  type NumericTable,
} from '../io/csv.js';
