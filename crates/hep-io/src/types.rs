//! The column types this reader decodes, and their names in C++ and in Arrow.

use std::sync::Arc;

use arrow_array::{ArrayRef, FixedSizeListArray};
use arrow_schema::{DataType, Field};

/// The element type of a column.
///
/// ```
/// use hep_io::Primitive;
/// assert_eq!(Primitive::from_cpp("Float_t"), Some(Primitive::F32));
/// assert_eq!(Primitive::from_cpp("unsigned int"), Some(Primitive::U32));
/// assert_eq!(Primitive::U32.size(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// `bool`
    Bool,
    /// `char`, `int8_t`
    I8,
    /// `unsigned char`, `uint8_t`
    U8,
    /// `short`
    I16,
    /// `unsigned short`
    U16,
    /// `int`
    I32,
    /// `unsigned int`
    U32,
    /// `long`, `long long`, `Long64_t`
    I64,
    /// `unsigned long`, `ULong64_t`
    U64,
    /// `float`
    F32,
    /// `double`
    F64,
}

impl Primitive {
    /// Bytes per value on disk.
    ///
    /// ```
    /// assert_eq!(hep_io::Primitive::F64.size(), 8);
    /// ```
    pub fn size(self) -> usize {
        match self {
            Primitive::Bool | Primitive::I8 | Primitive::U8 => 1,
            Primitive::I16 | Primitive::U16 => 2,
            Primitive::I32 | Primitive::U32 | Primitive::F32 => 4,
            Primitive::I64 | Primitive::U64 | Primitive::F64 => 8,
        }
    }

    /// The C++ name (fixed-width spelling).
    ///
    /// ```
    /// assert_eq!(hep_io::Primitive::U16.cpp_name(), "uint16_t");
    /// ```
    pub fn cpp_name(self) -> &'static str {
        match self {
            Primitive::Bool => "bool",
            Primitive::I8 => "int8_t",
            Primitive::U8 => "uint8_t",
            Primitive::I16 => "int16_t",
            Primitive::U16 => "uint16_t",
            Primitive::I32 => "int32_t",
            Primitive::U32 => "uint32_t",
            Primitive::I64 => "int64_t",
            Primitive::U64 => "uint64_t",
            Primitive::F32 => "float",
            Primitive::F64 => "double",
        }
    }

    /// The Arrow type of one value.
    ///
    /// ```
    /// assert_eq!(hep_io::Primitive::F32.data_type(), arrow_schema::DataType::Float32);
    /// ```
    pub fn data_type(self) -> DataType {
        match self {
            Primitive::Bool => DataType::Boolean,
            Primitive::I8 => DataType::Int8,
            Primitive::U8 => DataType::UInt8,
            Primitive::I16 => DataType::Int16,
            Primitive::U16 => DataType::UInt16,
            Primitive::I32 => DataType::Int32,
            Primitive::U32 => DataType::UInt32,
            Primitive::I64 => DataType::Int64,
            Primitive::U64 => DataType::UInt64,
            Primitive::F32 => DataType::Float32,
            Primitive::F64 => DataType::Float64,
        }
    }

    /// A C++ or ROOT type name (`float`, `Float_t`, `unsigned int`, `uint32_t`, …).
    ///
    /// ```
    /// assert_eq!(hep_io::Primitive::from_cpp("ULong64_t"), Some(hep_io::Primitive::U64));
    /// assert_eq!(hep_io::Primitive::from_cpp("string"), None);
    /// ```
    pub fn from_cpp(name: &str) -> Option<Primitive> {
        Some(match name.trim() {
            "bool" | "Bool_t" => Primitive::Bool,
            "char" | "Char_t" | "signed char" | "int8_t" => Primitive::I8,
            "unsigned char" | "UChar_t" | "uint8_t" => Primitive::U8,
            "short" | "Short_t" | "short int" | "int16_t" => Primitive::I16,
            "unsigned short" | "UShort_t" | "unsigned short int" | "uint16_t" => Primitive::U16,
            "int" | "Int_t" | "int32_t" => Primitive::I32,
            "unsigned int" | "unsigned" | "UInt_t" | "uint32_t" => Primitive::U32,
            "long" | "Long_t" | "long int" | "long long" | "Long64_t" | "int64_t" => Primitive::I64,
            "unsigned long" | "ULong_t" | "unsigned long int" | "unsigned long long" | "ULong64_t" | "uint64_t"
            | "size_t" => Primitive::U64,
            "float" | "Float_t" => Primitive::F32,
            "double" | "Double_t" => Primitive::F64,
            _ => return None,
        })
    }

    /// The type of a ROOT streamer type code (`kFloat` = 5 …) for the basic types.
    pub(crate) fn from_code(code: i32) -> Option<Primitive> {
        Some(match code {
            1 => Primitive::I8,
            2 => Primitive::I16,
            3 | 6 => Primitive::I32,
            4 | 16 => Primitive::I64,
            5 => Primitive::F32,
            8 => Primitive::F64,
            11 => Primitive::U8,
            12 => Primitive::U16,
            // 15: `kBits`, `TObject::fBits`, a `UInt_t`.
            13 | 15 => Primitive::U32,
            14 | 17 => Primitive::U64,
            18 => Primitive::Bool,
            _ => return None,
        })
    }
}

/// How a branch lays out one entry.
///
/// ```
/// use hep_io::{ColumnType, Layout, Primitive};
/// let t = ColumnType::from_cpp("vector<vector<float> >").unwrap();
/// assert_eq!(t, ColumnType { primitive: Primitive::F32, layout: Layout::VectorVector });
/// assert_eq!(t.cpp_name(), "std::vector<std::vector<float>>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One value.
    Scalar,
    /// A fixed-length C array (`x[3]`).
    Array(usize),
    /// A fixed-size two-dimensional C array (`x[2][3]`; RNTuple `std::array` of `std::array`):
    /// `rows` arrays of `cols` values, row after row.
    Matrix {
        /// Arrays per entry.
        rows: usize,
        /// Values per array.
        cols: usize,
    },
    /// A fixed-size C array of three to five dimensions (`x[9][10][2]`; ROOT allows five;
    /// RNTuple `std::array`s nested three deep or more), values row after row.
    NdArray(Dims),
    /// A variable-length array with no per-entry header: C arrays with a count leaf (`x[n]`),
    /// members of split collections.
    Jagged,
    /// A variable-length list of fixed-length arrays: a fixed array member of a split
    /// collection (`float x[5]` in a `TClonesArray`'s class), a C array `x[n][5]`.
    JaggedArray(usize),
    /// A variable-length array behind a pointer, a member of a split class (`T* x; //[n]`):
    /// each entry is a one-byte flag, then its values.
    Pointer,
    /// `std::vector<T>`, streamed with a byte count, version and length per entry.
    Vector,
    /// `std::vector<std::vector<T>>`.
    VectorVector,
    /// `std::vector<std::vector<std::vector<T>>>` (ATLAS trigger menus and MET association
    /// maps; RNTuple collections nested three deep).
    VectorVectorVector,
    /// A `std::vector<T>` member of a split collection's class (`std::vector<double> fitinf`
    /// of the objects in a `std::vector<Trk>`): per entry a streamer header, then each
    /// object's vector (its length, its values).
    JaggedVector,
}

/// The sizes of a fixed-size array of one to five dimensions (ROOT's limit), outermost first.
///
/// ```
/// use hep_io::Dims;
/// let d = Dims::new(&[9, 10, 2]).unwrap();
/// assert_eq!(d.sizes(), &[9, 10, 2]);
/// assert_eq!(d.count(), 180);
/// assert!(Dims::new(&[]).is_none() && Dims::new(&[2; 6]).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    sizes: [usize; Dims::MAX_RANK],
    rank: usize,
}

impl Dims {
    /// The most dimensions a ROOT array has (`TStreamerElement::fMaxIndex`).
    pub const MAX_RANK: usize = 5;

    /// The dimensions `sizes`, outermost first; `None` for none or more than [`Self::MAX_RANK`].
    pub fn new(sizes: &[usize]) -> Option<Dims> {
        if sizes.is_empty() || sizes.len() > Self::MAX_RANK {
            return None;
        }
        let mut d = Dims { sizes: [0; Self::MAX_RANK], rank: sizes.len() };
        d.sizes[..sizes.len()].copy_from_slice(sizes);
        Some(d)
    }

    /// The sizes, outermost first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes[..self.rank]
    }

    /// Values in one array (saturated where it would overflow, which the decoders refuse).
    pub fn count(&self) -> usize {
        self.sizes().iter().fold(1usize, |a, &n| a.saturating_mul(n))
    }
}

impl Layout {
    /// Values per entry of a fixed-size layout (1 for a scalar; `None` for variable lengths;
    /// saturated where it would overflow, which the decoders refuse).
    ///
    /// ```
    /// use hep_io::Layout;
    /// assert_eq!(Layout::Matrix { rows: 2, cols: 3 }.fixed_len(), Some(6));
    /// assert_eq!(Layout::Vector.fixed_len(), None);
    /// ```
    pub fn fixed_len(&self) -> Option<usize> {
        match *self {
            Layout::Scalar => Some(1),
            Layout::Array(n) => Some(n),
            Layout::Matrix { rows, cols } => Some(rows.saturating_mul(cols)),
            Layout::NdArray(d) => Some(d.count()),
            Layout::Jagged
            | Layout::JaggedArray(_)
            | Layout::Pointer
            | Layout::Vector
            | Layout::VectorVector
            | Layout::VectorVectorVector
            | Layout::JaggedVector => None,
        }
    }

    /// The sizes of its fixed-size list levels, outermost first (`[rows, cols]` for a matrix).
    pub(crate) fn fixed_sizes(&self) -> Vec<usize> {
        match *self {
            Layout::Array(n) => vec![n],
            Layout::Matrix { rows, cols } => vec![rows, cols],
            Layout::NdArray(d) => d.sizes().to_vec(),
            _ => vec![],
        }
    }
}

/// `values` wrapped in fixed-size lists of `sizes` (outermost first): the Arrow form of
/// [`Layout::Array`], [`Layout::Matrix`] and [`Layout::NdArray`] entries.
pub(crate) fn fixed_lists(values: ArrayRef, sizes: &[usize]) -> std::result::Result<ArrayRef, String> {
    let mut out = values;
    for &n in sizes.iter().rev() {
        let k = i32::try_from(n).map_err(|_| format!("arrays of {n} items exceed Arrow's 32-bit list size"))?;
        let field = item(out.data_type().clone());
        out = Arc::new(FixedSizeListArray::try_new(field, k, out, None).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// The type of a column: an element type and a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColumnType {
    /// Element type.
    pub primitive: Primitive,
    /// Layout of an entry.
    pub layout: Layout,
}

impl ColumnType {
    /// Parse a C++ class name: a primitive, `vector<T>` or `vector<vector<T>>` (with or without
    /// `std::`, spaces, or the default allocator); `set<T>`, `ROOT::RVec<T>` and `bitset<N>`
    /// (booleans) read as the vectors they are streamed as.
    ///
    /// ```
    /// use hep_io::{ColumnType, Layout};
    /// assert_eq!(ColumnType::from_cpp("std::vector<unsigned char>").unwrap().layout, Layout::Vector);
    /// assert!(ColumnType::from_cpp("vector<ElementLink<DataVector<xAOD::Jet_v1> > >").is_none());
    /// assert_eq!(ColumnType::from_cpp("ROOT::VecOps::RVec<float>").unwrap().layout, Layout::Vector);
    /// ```
    pub fn from_cpp(name: &str) -> Option<ColumnType> {
        let name: String = name.replace("std::", "");
        let name = name.trim();
        if let Some(p) = Primitive::from_cpp(name) {
            return Some(ColumnType { primitive: p, layout: Layout::Scalar });
        }
        // `std::bitset<N>` is streamed as N booleans with a size, as `vector<bool>` is, also
        // inside a vector.
        let bitset = |name: &str| {
            name.strip_prefix("bitset<")
                .is_some_and(|r| r.trim_end().strip_suffix('>').is_some_and(|n| n.trim().parse::<usize>().is_ok()))
        };
        if bitset(name) {
            return Some(ColumnType { primitive: Primitive::Bool, layout: Layout::Vector });
        }
        let inner = vector_argument(name)?;
        if let Some(p) = Primitive::from_cpp(inner) {
            return Some(ColumnType { primitive: p, layout: Layout::Vector });
        }
        if bitset(inner) {
            return Some(ColumnType { primitive: Primitive::Bool, layout: Layout::VectorVector });
        }
        let inner = vector_argument(inner)?;
        if let Some(p) = Primitive::from_cpp(inner) {
            return Some(ColumnType { primitive: p, layout: Layout::VectorVector });
        }
        let p = Primitive::from_cpp(vector_argument(inner)?)?;
        Some(ColumnType { primitive: p, layout: Layout::VectorVectorVector })
    }

    /// The C++ spelling, as `uproot` shows it.
    ///
    /// ```
    /// use hep_io::{ColumnType, Layout, Primitive};
    /// assert_eq!(ColumnType { primitive: Primitive::I32, layout: Layout::Jagged }.cpp_name(), "int32_t[]");
    /// ```
    pub fn cpp_name(&self) -> String {
        let p = self.primitive.cpp_name();
        match self.layout {
            Layout::Scalar => p.to_string(),
            Layout::Array(n) => format!("{p}[{n}]"),
            Layout::Matrix { rows, cols } => format!("{p}[{rows}][{cols}]"),
            Layout::NdArray(d) => d.sizes().iter().fold(p.to_string(), |s, n| format!("{s}[{n}]")),
            Layout::Jagged => format!("{p}[]"),
            Layout::JaggedArray(n) => format!("{p}[][{n}]"),
            Layout::Pointer => format!("{p}*"),
            Layout::Vector => format!("std::vector<{p}>"),
            Layout::VectorVector => format!("std::vector<std::vector<{p}>>"),
            Layout::VectorVectorVector => format!("std::vector<std::vector<std::vector<{p}>>>"),
            Layout::JaggedVector => format!("std::vector<{p}>[]"),
        }
    }

    /// The Arrow type: the primitive, in a `FixedSizeList` for arrays, a `LargeList` for
    /// variable lengths, two `LargeList`s for vectors of vectors. Items are not nullable.
    ///
    /// ```
    /// use hep_io::{ColumnType, Primitive, Layout};
    /// let t = ColumnType { primitive: Primitive::F32, layout: Layout::Vector };
    /// assert!(matches!(t.data_type(), arrow_schema::DataType::LargeList(_)));
    /// ```
    pub fn data_type(&self) -> DataType {
        let p = self.primitive.data_type();
        match self.layout {
            Layout::Scalar => p,
            // Arrays from a file have an `i32` length; larger ones cannot be built (saturated
            // here, refused when decoded).
            Layout::Array(n) => DataType::FixedSizeList(item(p), i32::try_from(n).unwrap_or(i32::MAX)),
            Layout::Matrix { .. } | Layout::NdArray(_) => self
                .layout
                .fixed_sizes()
                .iter()
                .rev()
                .fold(p, |inner, &n| DataType::FixedSizeList(item(inner), i32::try_from(n).unwrap_or(i32::MAX))),
            Layout::Jagged | Layout::Pointer | Layout::Vector => DataType::LargeList(item(p)),
            Layout::JaggedArray(n) => {
                DataType::LargeList(item(DataType::FixedSizeList(item(p), i32::try_from(n).unwrap_or(i32::MAX))))
            }
            Layout::VectorVector | Layout::JaggedVector => DataType::LargeList(item(DataType::LargeList(item(p)))),
            Layout::VectorVectorVector => {
                DataType::LargeList(item(DataType::LargeList(item(DataType::LargeList(item(p))))))
            }
        }
    }
}

/// The list item field used throughout.
pub(crate) fn item(dt: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", dt, false))
}

/// `T` of `vector<T>` or `vector<T, allocator<T>>`.
fn vector_argument(name: &str) -> Option<&str> {
    // A `std::set` of numbers is streamed as a vector of them (size, then the values in order),
    // and so is `ROOT::RVec` (its collection proxy writes the layout of `std::vector`).
    let rest = ["vector", "set", "ROOT::VecOps::RVec", "ROOT::RVec"].iter().find_map(|p| name.strip_prefix(p))?;
    let body = rest.trim_start().strip_prefix('<')?.trim_end().strip_suffix('>')?;
    // Cut at a top-level comma (the allocator argument).
    let mut depth = 0i32;
    for (i, ch) in body.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => return Some(body[..i].trim()),
            _ => {}
        }
    }
    Some(body.trim())
}
