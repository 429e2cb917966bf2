// Implements: which elements each rank of a DataParallel job writes in a checkpoint: its
// ZeroLayout chunk of every bucket at any stage, so that together the ranks write every element
// once and a checkpoint's layout does not depend on the stage.

extension DataParallel {
    /// Rank r's ZeroLayout ranges (what it writes in a checkpoint at any stage; together all elements).
    public func checkpointRanges(of r: Int) -> [Range<Int>] {
        ZeroLayout(plan: plan, ranks: size).owned(by: r).filter { !$0.isEmpty }
    }
}
