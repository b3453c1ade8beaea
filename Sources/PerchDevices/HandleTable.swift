/// A fixed table of open resources, sized once at construction so opening and closing
/// allocate nothing. A handle is `generation << 8 | (slot + 1)`: never 0, and a handle kept
/// after `close` stops working even when its slot is reused (the generation moved on).
struct HandleTable<Entry> {
    private var entries: [Entry?]
    private var generations: [UInt8]

    /// `capacity` is at most 255 slots.
    init(capacity: Int) {
        let count = min(max(capacity, 1), 255)
        entries = Array(repeating: nil, count: count)
        generations = Array(repeating: 0, count: count)
    }

    var capacity: Int { entries.count }

    /// Stores `entry`; its handle, or nil if the table is full.
    mutating func insert(_ entry: Entry) -> UInt32? {
        guard let slot = entries.firstIndex(where: { $0 == nil }) else { return nil }
        entries[slot] = entry
        return UInt32(generations[slot]) << 8 | UInt32(slot + 1)
    }

    /// The slot and entry of an open handle.
    func lookup(_ handle: UInt32) -> (slot: Int, entry: Entry)? {
        let slot = Int(handle & 0xFF) - 1
        guard handle >> 16 == 0, slot >= 0, slot < entries.count,
              UInt32(generations[slot]) == handle >> 8, let entry = entries[slot]
        else { return nil }
        return (slot, entry)
    }

    /// Replaces the entry in an occupied slot (one `lookup` returned).
    mutating func update(slot: Int, _ entry: Entry) {
        if entries[slot] != nil { entries[slot] = entry }
    }

    mutating func remove(slot: Int) -> Entry? {
        let entry = entries[slot]
        entries[slot] = nil
        generations[slot] &+= 1
        return entry
    }

    /// Occupied slots, for closing everything a guest left open.
    var occupiedSlots: [Int] { entries.indices.filter { entries[$0] != nil } }
}
