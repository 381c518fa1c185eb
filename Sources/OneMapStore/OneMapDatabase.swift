/// A whole OneMap database: the features and statistics (`FeatureStore`) and the sharing
/// governance (`GovernanceStore`) of one place. What every command opens, whatever the backend.
public protocol OneMapDatabase: FeatureStore, GovernanceStore, ProblemStore, ProfileStore, IdentityStore, DatabaseCopying, AnyObject {
    /// Seconds one read (a tile, a page, a statistics pass) may take before it is stopped with a
    /// `StoreError` of kind `timedOut`; 0: no limit (the CLI's default).
    var readTimeLimit: Double { get set }
}
