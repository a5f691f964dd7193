//! A fitted model: its columns, and applying it.

use float_bits::Scheme;

use crate::prior::splitmix64;
use crate::{Choice, ColumnModel, ContainerModel, Error, Estimate, Group, Result, Seed};

/// How to upsample a column ([`Model::upsample_with`]): the estimate, the seed of the draws and
/// the global index of the first value (as in [`Model::upsample_seeded`]), and the aligned
/// columns, by name, that a neural corrector reads its context from.
///
/// ```
/// let r = models::Request::new(models::Estimate::Median);
/// assert_eq!((r.seed, r.first_row, r.context.len()), (0, 0, 0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The estimate.
    pub how: Estimate,
    /// Seed of [`Estimate::Sample`]'s draws.
    pub seed: u64,
    /// The global index of the first value (draws are seeded per value).
    pub first_row: u64,
    /// Aligned columns by name; those a neural corrector needs must be among them.
    pub context: &'a [(&'a str, &'a [f32])],
}

impl Request<'_> {
    /// Estimate `how`, seed 0, from row 0, no context.
    pub fn new(how: Estimate) -> Self {
        Request { how, seed: 0, first_row: 0, context: &[] }
    }
}

/// A fitted upsampling model: the scheme the data was compressed with and one gated prior per
/// column.
///
/// ```
/// use models::{Estimate, FitOptions, Model};
/// let scheme = float_bits::Scheme::atlas(7)?;
/// // A column of integer counts stored as floats, and -1 marking "missing".
/// let values: Vec<f32> = (0..4000).map(|i| if i % 5 == 0 { -1.0 } else { (i % 700) as f32 }).collect();
/// let (train, valid) = values.split_at(2000);
/// let model = Model::fit(&scheme, &[("n", train, valid)], FitOptions::default())?;
/// assert_ne!(model.column("n").unwrap().prior.name(), "identity");
///
/// let mut compressed = valid.to_vec();
/// scheme.compress_in_place(&mut compressed)?;
/// let mut out = vec![0f32; compressed.len()];
/// model.upsample("n", &compressed, Estimate::Mean, 0, &mut out)?;
/// let sq = |y: &[f32]| y.iter().zip(valid).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>();
/// assert!(sq(&out) < 0.8 * sq(&compressed)); // integers lie on a lattice the grid cannot show
/// assert!(out.iter().zip(valid).all(|(a, b)| *b != -1.0 || *a == -1.0)); // sentinels stay
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    /// Each column's scheme (its [`ColumnModel::scheme`], checked), in column order.
    pub(crate) schemes: Vec<Scheme>,
    pub(crate) columns: Vec<ColumnModel>,
    pub(crate) groups: Vec<Group>,
    pub(crate) containers: Vec<ContainerModel>,
    /// Each column's neural network, built once from its file form (and so checked) when the
    /// model is made.
    #[cfg(feature = "neural")]
    nets: Vec<Option<std::sync::Arc<crate::neural::Net>>>,
    /// Each container network, built likewise.
    #[cfg(feature = "neural")]
    container_nets: Vec<std::sync::Arc<crate::neural::ContainerNet>>,
}

/// Models are equal when their files are: the same columns (schemes included), groups and
/// container networks.
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.columns == other.columns && self.groups == other.groups && self.containers == other.containers
    }
}

/// A stream identifier for a column's draws.
pub(crate) fn stream(seed: u64, column: &str) -> u64 {
    column.bytes().fold(splitmix64(seed), |h, b| splitmix64(h ^ u64::from(b)))
}

/// A stream identifier for a group's joint draws.
pub(crate) fn group_stream(seed: u64, group: &Group) -> u64 {
    group.members.iter().fold(splitmix64(seed ^ 0x0067_726f_7570), |h, m| stream(h, m))
}

impl Model {
    /// The relation groups some column of the model takes its values from.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// assert!(m.groups().is_empty());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The container networks some column of the model takes its values from
    /// ([`Choice::Container`]).
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// assert!(m.containers().is_empty());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn containers(&self) -> &[ContainerModel] {
        &self.containers
    }

    /// The scheme the model expects column `name` to be compressed with (`None`: a column the
    /// model does not know).
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(15)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.scheme_of("x"), Some(&s));
    /// assert_eq!(m.scheme_of("y"), None);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn scheme_of(&self, name: &str) -> Option<&Scheme> {
        self.find(name).ok().map(|(i, _)| &self.schemes[i])
    }

    /// Each column's name and scheme, in column order.
    ///
    /// ```
    /// let s = float_bits::Scheme::cms(10)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.schemes().collect::<Vec<_>>(), [("x", &s)]);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn schemes(&self) -> impl Iterator<Item = (&str, &Scheme)> {
        self.columns.iter().map(|c| c.name.as_str()).zip(&self.schemes)
    }

    /// The fitted columns, in fitting order.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.columns()[0].name, "x");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn columns(&self) -> &[ColumnModel] {
        &self.columns
    }

    /// The same model with every column name in the other format's spelling: `Container.var`
    /// (TTree) for `sep = '.'`, `Container:var` (RNTuple) for `sep = ':'`, by
    /// [`names::with_separator`](crate::names::with_separator) — the columns, the neural
    /// contexts and the relation groups' members. This is the explicit mapping that applies a
    /// model fitted on a TTree to an RNTuple of the same variables (or back); nothing else
    /// changes (draws of [`Estimate::Sample`] are seeded by column name, so they differ).
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("Jets.x", &[1.5], &[2.5])], Default::default())?;
    /// let r = m.with_separator(':');
    /// assert!(r.column("Jets:x").is_some() && r.column("Jets.x").is_none());
    /// assert_eq!(r.with_separator('.'), m);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn with_separator(&self, sep: char) -> Model {
        let rename = |n: &String| crate::names::with_separator(n, sep);
        let mut m = self.clone();
        for c in &mut m.columns {
            c.name = rename(&c.name);
            if let Choice::Neural(n) = &mut c.choice {
                n.context = n.context.iter().map(rename).collect();
            }
        }
        for n in &mut m.containers {
            n.fields = n.fields.iter().map(rename).collect();
            n.context = n.context.iter().map(rename).collect();
        }
        for g in &mut m.groups {
            g.members =
                g.members.iter().map(|m| if crate::constant(m).is_some() { m.clone() } else { rename(m) }).collect();
        }
        m
    }

    /// The other columns that column `name`'s choice reads: a neural corrector's context, or a
    /// container network's fields and context (none for a column the model does not know).
    pub(crate) fn reads(&self, name: &str) -> impl Iterator<Item = &String> {
        let choice = self.column(name).map(|c| &c.choice);
        let (a, b): (&[String], &[String]) = match choice {
            Some(Choice::Neural(n)) => (&n.context, &[]),
            Some(Choice::Container { net, .. }) => {
                self.containers.get(*net).map_or((&[][..], &[][..]), |c| (&c.fields[..], &c.context[..]))
            }
            _ => (&[], &[]),
        };
        a.iter().chain(b).filter(move |c| *c != name)
    }

    /// The fitted column `name`, if any.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert!(m.column("x").is_some() && m.column("y").is_none());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn column(&self, name: &str) -> Option<&ColumnModel> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Upsample values of column `name`, compressed with its scheme ([`Model::scheme_of`]); `first_row` is the
    /// global index of `compressed[0]` (it seeds [`Estimate::Sample`] per value, together with
    /// `seed` and the column name, so batches give the same draws as one call).
    pub fn upsample(
        &self,
        name: &str,
        compressed: &[f32],
        how: Estimate,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        self.upsample_seeded(name, compressed, how, 0, first_row, out)
    }

    /// [`Model::upsample`] with an explicit `seed` for the draws.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5, 2.5], &[2.5, 3.5])], Default::default())?;
    /// let (mut a, mut b) = ([0f32; 1], [0f32; 1]);
    /// m.upsample_seeded("x", &[3.0], models::Estimate::Sample, 1, 0, &mut a)?;
    /// m.upsample_seeded("x", &[3.0], models::Estimate::Sample, 1, 0, &mut b)?;
    /// assert_eq!(a, b); // reproducible
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample_seeded(
        &self,
        name: &str,
        compressed: &[f32],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        if self.find(name)?.1.reads_context(how) {
            return Err(Error::ContextNeeded { column: name.into() });
        }
        self.upsample_with(name, compressed, &Request { how, seed, first_row, context: &[] }, out)
    }

    /// The index and model of column `name`.
    fn find(&self, name: &str) -> Result<(usize, &ColumnModel)> {
        self.columns.iter().enumerate().find(|c| c.1.name == name).ok_or_else(|| Error::UnknownColumn(name.into()))
    }

    /// The last step of every upsampling of column `i`: values beyond the range its choice was
    /// validated on keep their compressed value ([`ColumnModel::validated`]; a column whose
    /// choice is the identity is left alone), then every output is checked ([`Model::verify`]).
    fn settle(&self, i: usize, compressed: &[f32], out: &mut [f32]) -> Result<()> {
        let col = &self.columns[i];
        if col.validated.is_some() && col.choice_name() != "identity" {
            for (o, &c) in out.iter_mut().zip(compressed) {
                if !col.within_validated(c) {
                    *o = c;
                }
            }
        }
        self.verify(i, compressed, out)
    }

    /// That every output of column `col` lies inside the preimage of its compressed value,
    /// checked against `quant_bounds` (a debug build stops at a violation; a release build
    /// returns [`Error::OutsidePreimage`]). A forced unbounded kind, which exists to show what
    /// leaving the preimage costs, is the one model not held to it.
    fn verify(&self, i: usize, compressed: &[f32], out: &[f32]) -> Result<()> {
        let col = &self.columns[i];
        if col.neural().is_some_and(|n| !n.model.kind.bounded()) {
            return Ok(());
        }
        match crate::validate::outside(&self.schemes[i], compressed, out).map_err(|e| e.in_column(&col.name))? {
            None => Ok(()),
            Some((index, count, lo, hi)) => {
                debug_assert!(count == 0, "column {:?}: {count} outputs outside their preimage", col.name);
                let (column, total, value) = (col.name.clone(), out.len(), out[index]);
                Err(Error::OutsidePreimage { column, count, total, index, value, lo, hi })
            }
        }
    }

    /// Column `name` through its own prior whatever its choice (the fallback of
    /// [`crate::batch::Upsampler`] for a container network it cannot run), checked.
    pub(crate) fn upsample_prior(
        &self,
        name: &str,
        compressed: &[f32],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let (i, _) = self.find(name)?;
        self.upsample_own(i, compressed, how, seed, first_row, out)?;
        self.settle(i, compressed, out)
    }

    /// Column `i` through its own prior (its sampler for `Sample`).
    fn upsample_own(
        &self,
        i: usize,
        compressed: &[f32],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let col = &self.columns[i];
        let prior = match (how, &col.sampler) {
            (Estimate::Sample, Some(sampler)) => sampler,
            _ => &col.prior,
        };
        prior
            .upsample(&self.schemes[i], compressed, how, Seed { stream: stream(seed, &col.name), first_row }, out)
            .map_err(|e| e.in_column(&col.name))
    }

    /// [`Model::upsample_seeded`] for a column whose model may read other columns of its object
    /// (a neural corrector), as a [`Request`]: its `context` holds aligned columns by name, among
    /// which those the column needs; a column without a neural corrector ignores it.
    ///
    /// ```
    /// use models::{Estimate, Request};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("c.x", &[1.5, 2.5], &[2.5, 3.5])], Default::default())?;
    /// let pt = [41_000.0f32];
    /// let request = Request { context: &[("c.pt", &pt)], ..Request::new(Estimate::Mean) };
    /// let mut out = [0f32; 1];
    /// m.upsample_with("c.x", &[3.0], &request, &mut out)?;
    /// assert_eq!(out, [3.0]);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample_with(&self, name: &str, compressed: &[f32], request: &Request<'_>, out: &mut [f32]) -> Result<()> {
        let (i, _) = self.find(name)?;
        self.column_with(i, compressed, request, out)?;
        self.settle(i, compressed, out)
    }

    /// [`Model::upsample_with`] of column `i`, unverified.
    fn column_with(&self, i: usize, compressed: &[f32], request: &Request<'_>, out: &mut [f32]) -> Result<()> {
        let &Request { how, seed, first_row, context } = request;
        let col = &self.columns[i];
        let name = col.name.as_str();
        match &col.choice {
            Choice::Container { net, .. } if how != Estimate::Sample => {
                let own = (name, compressed);
                let values = self.container_outputs(*net, std::slice::from_ref(&own), context)?;
                let j = self.containers[*net].fields.iter().position(|f| f == name).unwrap_or_default();
                if values[j].len() != out.len() {
                    return Err(Error::LengthMismatch {
                        what: "compressed vs out",
                        left: values[j].len(),
                        right: out.len(),
                    });
                }
                out.copy_from_slice(&values[j]);
                Ok(())
            }
            Choice::Neural(neural) if neural.reads_context(how) => {
                let ctx: Vec<&[f32]> = neural
                    .context
                    .iter()
                    .map(|c| {
                        context.iter().find(|x| x.0 == c).map(|x| x.1).ok_or_else(|| Error::MissingColumn {
                            column: c.clone(),
                            needed_by: format!("the model of {name:?}"),
                        })
                    })
                    .collect::<Result<_>>()?;
                self.upsample_neural(i, compressed, &ctx, how, Seed { stream: stream(seed, name), first_row }, out)
            }
            _ => self.upsample_own(i, compressed, how, seed, first_row, out),
        }
    }

    /// Upsample a table of aligned columns at once: `outputs[i]` receives column `inputs[i]`
    /// upsampled — through its group's joint posterior where the gate chose the constraint, its
    /// own prior otherwise — or copied unchanged if the model does not know it (a column kept
    /// at full precision). A group whose joint posterior is used needs all its members among
    /// `inputs`, equally long. `first_row` and `seed` are as in [`Model::upsample_seeded`].
    ///
    /// ```
    /// use models::{Estimate, Group, Model, Relation};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let a: Vec<f32> = (0..3000).map(|i| 0.2 + 0.6 * (i as f32 * 0.618).fract()).collect();
    /// let b: Vec<f32> = a.iter().map(|x| 1.0 - x).collect();
    /// let g = Group::new(Relation::SumToOne, ["a", "b"])?;
    /// let m = Model::fit_groups(&s, &[("a", &a[..1500], &a[1500..]), ("b", &b[..1500], &b[1500..])], &[], &[g], Default::default())?;
    /// let (mut ca, mut cb) = (a[1500..].to_vec(), b[1500..].to_vec());
    /// s.compress_in_place(&mut ca)?;
    /// s.compress_in_place(&mut cb)?;
    /// let (mut oa, mut ob) = (vec![0f32; ca.len()], vec![0f32; cb.len()]);
    /// m.upsample_table(&[("a", &ca), ("b", &cb)], Estimate::Mean, 0, 1500, &mut [&mut oa, &mut ob])?;
    /// let sq = |y: &[f32], x: &[f32]| y.iter().zip(x).map(|(p, q)| ((p - q) as f64).powi(2)).sum::<f64>();
    /// assert!(sq(&oa, &a[1500..]) < 0.5 * sq(&ca, &a[1500..]));
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample_table(
        &self,
        inputs: &[(&str, &[f32])],
        how: Estimate,
        seed: u64,
        first_row: u64,
        outputs: &mut [&mut [f32]],
    ) -> Result<()> {
        self.table(inputs, how, seed, first_row, outputs, false).map(drop)
    }

    /// [`Model::upsample_table`]; where `lenient`, a container network that reads a column
    /// `inputs` lacks is not run, and its columns among `inputs` take their own prior (their
    /// names are returned) instead of the error.
    pub(crate) fn table(
        &self,
        inputs: &[(&str, &[f32])],
        how: Estimate,
        seed: u64,
        first_row: u64,
        outputs: &mut [&mut [f32]],
        lenient: bool,
    ) -> Result<Vec<String>> {
        if inputs.len() != outputs.len() {
            return Err(Error::LengthMismatch {
                what: "input vs output columns",
                left: inputs.len(),
                right: outputs.len(),
            });
        }
        let known: Vec<Option<usize>> = inputs.iter().map(|c| self.find(c.0).ok().map(|f| f.0)).collect();
        // Each container network some input takes its values from runs once for all its fields.
        let mut from_nets: std::collections::HashMap<usize, Option<Vec<Vec<f32>>>> = std::collections::HashMap::new();
        if how != Estimate::Sample {
            for i in known.iter().flatten() {
                if let Choice::Container { net, .. } = self.columns[*i].choice
                    && !from_nets.contains_key(&net)
                {
                    let outputs = match self.container_outputs(net, &[], inputs) {
                        Ok(v) => Some(v),
                        Err(Error::MissingColumn { .. }) if lenient => None,
                        Err(e) => return Err(e),
                    };
                    from_nets.insert(net, outputs);
                }
            }
        }
        let mut fallbacks = Vec::new();
        for ((&(name, values), out), &i) in inputs.iter().zip(outputs.iter_mut()).zip(&known) {
            let container = i.and_then(|i| match self.columns[i].choice {
                Choice::Container { net, .. } => from_nets.get(&net).map(|v| (net, v.as_ref())),
                _ => None,
            });
            if let (Some((_, None)), Some(i)) = (container, i) {
                // Lenient, and the network cannot run on these inputs: the column's own prior.
                self.upsample_own(i, values, how, seed, first_row, out)?;
                fallbacks.push(name.to_string());
            } else if let Some((net, Some(v))) = container {
                let j = self.containers[net].fields.iter().position(|f| f == name).unwrap_or_default();
                if v[j].len() != out.len() {
                    return Err(Error::LengthMismatch {
                        what: "compressed vs out",
                        left: v[j].len(),
                        right: out.len(),
                    });
                }
                out.copy_from_slice(&v[j]);
            } else if let Some(i) = i {
                self.column_with(i, values, &Request { how, seed, first_row, context: inputs }, out)?;
            } else if values.len() != out.len() {
                return Err(Error::LengthMismatch { what: "compressed vs out", left: values.len(), right: out.len() });
            } else {
                out.copy_from_slice(values);
            }
        }
        for group in &self.groups {
            // Where each member is among the inputs, and whether its output is the joint one.
            let mut at = Vec::with_capacity(group.members.len());
            for m in &group.members {
                let i = inputs.iter().position(|c| c.0 == m);
                let joint = self.column(m).is_some_and(|c| c.constraint());
                at.push((i, joint));
            }
            if !at.iter().any(|&(i, joint)| i.is_some() && joint) {
                continue;
            }
            if let Some(m) = (0..at.len()).find(|&m| at[m].0.is_none() && group.constant(m).is_none()) {
                return Err(Error::MissingColumn { column: group.members[m].clone(), needed_by: group.describe() });
            }
            let columns: Vec<(&[f32], Option<&Scheme>)> = group
                .members
                .iter()
                .zip(&at)
                .map(|(m, a)| (a.0.map_or(&[][..], |i| inputs[i].1), self.scheme_of(m)))
                .collect();
            // A row whose compressed members lie beyond the range their choices were validated on
            // keeps its members' own estimates.
            let models: Vec<Option<&ColumnModel>> = group.members.iter().map(|m| self.column(m)).collect();
            let validated = |row: usize| {
                models.iter().zip(&columns).all(|(c, (values, _))| c.is_none_or(|c| c.within_validated(values[row])))
            };
            let seed = Seed { stream: group_stream(seed, group), first_row };
            group.estimate(&columns, how, seed, group.informative_only, |m, row, v| {
                if let (Some(i), true) = at[m]
                    && validated(row)
                {
                    outputs[i][row] = v;
                }
            })?;
        }
        for ((&(_, values), out), i) in inputs.iter().zip(outputs.iter_mut()).zip(known) {
            if let Some(i) = i {
                self.settle(i, values, out)?;
            }
        }
        Ok(fallbacks)
    }

    /// Every field of container network `net` upsampled: its fields and context read from `own`
    /// first, then `context`, by name (an error in a build without the `neural` feature).
    fn container_outputs(
        &self,
        net: usize,
        own: &[(&str, &[f32])],
        context: &[(&str, &[f32])],
    ) -> Result<Vec<Vec<f32>>> {
        let stored = &self.containers[net];
        let find = |c: &String| -> Result<&[f32]> {
            own.iter().chain(context).find(|x| x.0 == c).map(|x| x.1).ok_or_else(|| Error::MissingColumn {
                column: c.clone(),
                needed_by: format!("the container network of {:?}", stored.fields),
            })
        };
        let fields: Vec<&[f32]> = stored.fields.iter().map(find).collect::<Result<_>>()?;
        let ctx: Vec<&[f32]> = stored.context.iter().map(find).collect::<Result<_>>()?;
        #[cfg(not(feature = "neural"))]
        {
            let _ = (fields, ctx);
            Err(Error::FeatureDisabled { feature: "neural", needed_for: "a model with a container network" })
        }
        #[cfg(feature = "neural")]
        {
            let mut out: Vec<Vec<f32>> = fields.iter().map(|f| vec![0f32; f.len()]).collect();
            let mut views: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
            let rows = crate::neural::Fields { fields: &fields, context: &ctx };
            self.container_nets[net].upsample(rows, Estimate::Mean, &mut views)?;
            Ok(out)
        }
    }

    /// Apply column `i`'s neural network (an error in a build without the `neural` feature).
    fn upsample_neural(
        &self,
        i: usize,
        compressed: &[f32],
        context: &[&[f32]],
        how: Estimate,
        seed: Seed,
        out: &mut [f32],
    ) -> Result<()> {
        #[cfg(not(feature = "neural"))]
        {
            let _ = (i, compressed, context, how, seed, out);
            Err(Error::FeatureDisabled { feature: "neural", needed_for: "a model with a neural corrector" })
        }
        #[cfg(feature = "neural")]
        match self.nets.get(i).and_then(Option::as_ref) {
            Some(net) => net.upsample(crate::neural::Rows { values: compressed, context }, how, seed, out),
            None => Err(Error::UnknownColumn(self.columns.get(i).map_or_else(String::new, |c| c.name.clone()))),
        }
    }

    /// A model from its parts, every invariant checked (see [`crate::validate`]) and every
    /// network built once; errors name `path` (a file) and the column and field.
    pub(crate) fn assemble(
        columns: Vec<ColumnModel>,
        groups: Vec<Group>,
        containers: Vec<ContainerModel>,
        path: Option<&str>,
        checksum: bool,
    ) -> Result<Model> {
        let (schemes, weights, container_weights) =
            crate::validate::model(&columns, &groups, &containers, checksum).map_err(|b| b.into_error(path))?;
        #[cfg(not(feature = "neural"))]
        drop((weights, container_weights));
        #[cfg(feature = "neural")]
        let container_nets = containers
            .iter()
            .zip(container_weights)
            .enumerate()
            .map(|(n, (c, w))| {
                crate::neural::ContainerNet::from_record(&c.model, w).map(std::sync::Arc::new).map_err(|e| match e {
                    Error::InvalidModel { field, detail, .. } => Error::InvalidModel {
                        path: path.map(str::to_string),
                        column: None,
                        field: format!("containers[{n}].{field}"),
                        detail,
                    },
                    e => e,
                })
            })
            .collect::<Result<_>>()?;
        #[cfg(feature = "neural")]
        let nets = columns
            .iter()
            .zip(weights)
            .map(|(c, w)| {
                c.neural()
                    .zip(w)
                    .map(|(n, w)| {
                        crate::neural::Net::from_record(&n.model, w).map(std::sync::Arc::new).map_err(|e| match e {
                            Error::InvalidModel { field, detail, .. } => Error::InvalidModel {
                                path: path.map(str::to_string),
                                column: Some(c.name.clone()),
                                field: format!("choice.{field}"),
                                detail,
                            },
                            e => e,
                        })
                    })
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(Model {
            schemes,
            columns,
            groups,
            containers,
            #[cfg(feature = "neural")]
            nets,
            #[cfg(feature = "neural")]
            container_nets,
        })
    }
}
