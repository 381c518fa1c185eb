import Foundation
import Hummingbird
import NIOCore
import OneMapQuery
import OneMapStore

/// `POST /stats` (an area as a code, GeoJSON polygon, circle or buffer) and `GET /stats?area=CODE`:
/// people, households, businesses and buildings in the area on a day, with breakdowns.
struct StatisticsRoutes: Sendable {
    let store: any FeatureStore

    /// A drawn polygon of 100,000 vertices is ~4 MB of GeoJSON.
    static let maxBody = 8 << 20

    func register(on router: Router<BasicRequestContext>) {
        router.get("/stats") { request, _ in
            let parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(parameters: parameters) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed)
        }
        router.post("/stats") { request, _ in
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: Self.maxBody) } catch {
                throw APIError(.contentTooLarge, "PayloadTooLarge", "the request body is over \(Self.maxBody >> 20) MB")
            }
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) else {
                throw APIError.badRequest("the body is not JSON; send {\"area\": ..., \"datetime\": ..., \"groupBy\": [...]}")
            }
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(json: json) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed)
        }
    }

    func answer(_ request: StatisticsRequest) async throws -> Response {
        let stats = try await blocking { () throws -> AreaStatistics? in
            do { return try store.areaStatistics(request.area, on: request.day, groupBy: request.groupBy) } catch let e as StoreError {
                throw APIError.badRequest(e.message)
            }
        }
        guard let stats else {
            if case .code(let code) = request.area { throw APIError.notFound("no administrative area '\(code)' on \(request.day)") }
            throw APIError.notFound("no such area")
        }
        return JSONResponse.make(StatisticsDocument.make(stats, request: request))
    }
}
