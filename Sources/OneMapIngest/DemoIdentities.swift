import Foundation
import OneMapStore

/// A synthetic identity of the demo: an ID number no real person holds (made up from the record,
/// not drawn from any register), and the record it signs in to. For trying self-service sign-in
/// with the test identity provider; only its keyed hash goes into the database.
public struct DemoIdentity: Sendable, Hashable {
    public let number: String
    public let kind: IdentityLinkKind
    public let key: String
    /// Why this one is worth trying: "moved", "household", "cancelled"…
    public let note: String
}

/// Which demo records get a synthetic identity, and the numbers: a sample (one person and one
/// business in 500, one mover in 10), so the links stay a few thousand rows at full size. The
/// numbers come from a digest of the key, not from the demo's random streams: the rest of the
/// demo is drawn exactly as without them.
enum DemoIdentities {
    static func samplesPerson(index k: Int, moved: Bool) -> Bool { k % 500 == 0 || (moved && k % 10 == 0) }
    static func samplesBusiness(index n: Int) -> Bool { n % 500 == 0 }

    /// An 18-character number of `region`, born in `birthYear`, ending in `lastFour` when
    /// given (a person's masked identity keeps the last four): the month and day are chosen so
    /// that the check character fits. Nil when no day of the year fits.
    static func number(region: String, birthYear: Int, key: String, lastFour: String? = nil) -> String? {
        let digest = Digest.sha256Hex(key).compactMap(\.hexDigitValue)
        let year = String(format: "%04d", birthYear)
        if let lastFour {
            let seq = String(lastFour.prefix(3)), check = lastFour.last!
            for month in 1...12 {
                for day in 1...28 {
                    let first17 = region + year + String(format: "%02d%02d", month, day) + seq
                    if IdentityNumber.checkCharacter(first17) == check { return first17 + String(check) }
                }
            }
            return nil
        }
        let month = digest[0] % 12 + 1, day = (digest[1] * 16 + digest[2]) % 28 + 1
        let seq = String(format: "%03d", (digest[3] * 256 + digest[4] * 16 + digest[5]) % 1000)
        let first17 = region + year + String(format: "%02d%02d", month, day) + seq
        return first17 + String(IdentityNumber.checkCharacter(first17))
    }
}
