#if os(Linux)
/// glibc's `malloc_trim` (not exported by Swift's Glibc module).
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// The process's heap as the system sees it.
public enum ProcessMemory {
    /// Hands freed heap pages back to the system. After a large build is dropped (a statistics
    /// engine's scaffolding, a layer snapshot stopped at the memory budget) glibc keeps the pages,
    /// and the resident size keeps the build's peak: the budget would hold on paper only.
    public static func returnFreePages() {
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}
