// The ceiling for cached tiles: a bare SwiftNIO HTTP/1.1 server that answers `GET /{z}/{x}/{y}`
// with tile bytes already in memory — no routing framework, no access checks, no cache lookup.
// `scripts/bench_peers.sh` serves the very bytes OneMap returned for the benchmark's tiles with it,
// so the cached-tile figure of OneMap can be read as a share of what the machine can do at all.
//   usage: tile-ceiling DIR PORT     (DIR holds z/x/y files; listens on 127.0.0.1 only)
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: tile-ceiling DIR PORT\n".utf8))
    exit(2)
}

/// Every file under `root` as "/z/x/y" (extension dropped) -> its bytes.
func loadTiles(under root: URL) -> [String: ByteBuffer] {
    var tiles: [String: ByteBuffer] = [:]
    let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = files?.nextObject() as? URL {
        guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
              let data = try? Data(contentsOf: url) else { continue }
        let relative = url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count)
        let key = relative.split(separator: ".").first.map(String.init) ?? String(relative)
        tiles[key.hasPrefix("/") ? key : "/" + key] = ByteBuffer(bytes: data)
    }
    return tiles
}

let tiles = loadTiles(under: URL(fileURLWithPath: arguments[1]))
guard !tiles.isEmpty else {
    FileHandle.standardError.write(Data("tile-ceiling: no tiles under \(arguments[1])\n".utf8))
    exit(1)
}

final class TileHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let tiles: [String: ByteBuffer]
    private var head: HTTPRequestHead?

    init(tiles: [String: ByteBuffer]) { self.tiles = tiles }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let request = head else { return }
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
            let body = tiles[path]
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/vnd.mapbox-vector-tile")
            headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
            let status: HTTPResponseStatus = body == nil ? .notFound : (body!.readableBytes == 0 ? .noContent : .ok)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            let keepAlive = request.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
            head = nil
        }
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 256)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
            channel.pipeline.addHandler(TileHandler(tiles: tiles))
        }
    }
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
print("tile-ceiling: \(tiles.count) tiles on http://127.0.0.1:\(port)")
try channel.closeFuture.wait()
