import Hummingbird
import NIOCore
import OneMapAccess

/// The request context of every route: Hummingbird's core, the client's address (for the audit)
/// and the caller resolved once by `AccessMiddleware`.
public struct OneMapRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Who is asking and with which grant; anonymous until the access middleware has run.
    var caller = Caller(principal: .anonymous, grantID: nil)

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address (no port): what the audit records.
    var clientAddress: String? { remoteAddress?.ipAddress }
}

/// The caller of one request.
struct Caller: Sendable {
    let principal: Principal
    /// The grant named with `?grant=ID`, if any.
    let grantID: Int64?
}
