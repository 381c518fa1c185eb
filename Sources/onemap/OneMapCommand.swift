import ArgumentParser

/// `onemap`: the one-map service of Sanming and its tools.
@main
struct OneMapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onemap",
        abstract: "OneMap 一张图: Sanming's spatiotemporal one map — vector tiles and queries over a SpatiaLite or PostgreSQL/PostGIS store.",
        subcommands: [CopyCommand.self, ServeCommand.self, DemoCommand.self, ImportCommand.self, CheckCommand.self, DeptCommand.self, LayerCommand.self, AuditCommand.self, SeedCommand.self, ExportCommand.self, ReportCommand.self, QGISProjectCommand.self,
                      BenchTilesCommand.self, BenchStatsCommand.self])
}
