import ArgumentParser

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the one map over HTTP.")
    func run() async throws {}
}

struct BenchTilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-tiles", abstract: "Time uncached tile generation.")
    func run() throws {}
}
