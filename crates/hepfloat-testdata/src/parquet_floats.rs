//! Reads every float column of a reference Parquet file (flat, list and list-of-list of
//! `float`) into flat value vectors, in file order. Shared by the tests and the example.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// One float column: its name (the ROOT branch name) and every value, lists flattened.
#[derive(Clone, Debug)]
pub struct FloatColumn {
    /// Column (branch) name.
    pub name: String,
    /// Every value in file order, lists flattened.
    pub values: Vec<f32>,
    /// Where each event's values start in `values`, plus the total (one more than the events).
    pub offsets: Vec<usize>,
}

impl FloatColumn {
    /// The flattened values of events `range` (row indices of the file).
    ///
    /// ```
    /// let c = hepfloat_testdata::FloatColumn { name: "x".into(), values: vec![1.0, 2.0, 3.0], offsets: vec![0, 2, 2, 3] };
    /// assert_eq!(c.events(1..3), [3.0]);
    /// ```
    pub fn events(&self, range: std::ops::Range<usize>) -> &[f32] {
        &self.values[self.offsets[range.start]..self.offsets[range.end]]
    }
}

fn flatten(array: &dyn Array, out: &mut Vec<f32>) -> Result<(), String> {
    match array.data_type() {
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>();
            if a.null_count() > 0 {
                return Err(format!("{} null floats", a.null_count()));
            }
            out.extend_from_slice(a.values());
        }
        DataType::LargeList(_) => {
            let l = array.as_list::<i64>();
            // Only the values the offsets point at belong to this array.
            let (start, end) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            flatten(l.values().slice(start, end - start).as_ref(), out)?;
        }
        DataType::List(_) => {
            let l = array.as_list::<i32>();
            let (start, end) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            flatten(l.values().slice(start, end - start).as_ref(), out)?;
        }
        other => return Err(format!("unsupported column type {other}")),
    }
    Ok(())
}

/// Every float column (`float`, lists and lists of lists of `float`) of the Parquet file at
/// `path`, in file order.
pub fn read_float_columns(path: &Path) -> Result<Vec<FloatColumn>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut columns: Vec<FloatColumn> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("{}: {e}", path.display()))?;
        let schema = batch.schema();
        for (i, field) in schema.fields().iter().enumerate() {
            if columns.len() <= i {
                columns.push(FloatColumn { name: field.name().clone(), values: Vec::new(), offsets: vec![0] });
            }
            let array: &ArrayRef = batch.column(i);
            let column = &mut columns[i];
            for row in 0..array.len() {
                flatten(array.slice(row, 1).as_ref(), &mut column.values)
                    .map_err(|e| format!("column {}: {e}", field.name()))?;
                column.offsets.push(column.values.len());
            }
        }
    }
    Ok(columns)
}
