//! Working vectors kept from document to document (and block to block) on each thread, so
//! that they grow to the size the input needs once rather than once per document.

/// `v` emptied, as a vector of another element type of the same size and alignment (here the
/// same type borrowing for another lifetime), keeping its allocation: collecting the elements
/// of a vector's own iterator reuses the vector's memory where the layouts agree, and
/// nothing is left to convert.
pub(crate) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// The largest vector (in elements) a thread keeps for reuse: the working space of an odd
/// huge document is given back rather than held for the life of the thread.
pub(crate) const KEEP_LEN: usize = 1 << 16;

/// Keeps `v`, emptied, in `slot` if it is the larger allocation of the two and not above
/// [`KEEP_LEN`].
pub(crate) fn keep<T>(slot: &mut Vec<T>, mut v: Vec<T>) {
    if v.capacity() > slot.capacity() && v.capacity() <= KEEP_LEN {
        v.clear();
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::{keep, recycle, KEEP_LEN};

    #[test]
    fn recycle_keeps_the_allocation_and_empties() {
        let text = String::from("a b c");
        let mut v: Vec<&str> = text.split(' ').collect();
        v.reserve(100);
        let (ptr, cap) = (v.as_ptr() as usize, v.capacity());
        let kept: Vec<&'static str> = recycle(v);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), cap);
        assert_eq!(kept.as_ptr() as usize, ptr);
    }

    #[test]
    fn keep_takes_the_larger_vector_up_to_the_limit() {
        let mut slot: Vec<u32> = Vec::with_capacity(4);
        keep(&mut slot, vec![1, 2, 3]);
        assert_eq!(
            slot.capacity(),
            4,
            "a smaller vector does not replace the kept one"
        );
        keep(&mut slot, Vec::with_capacity(64));
        assert!(slot.is_empty());
        assert_eq!(slot.capacity(), 64);
        let mut full = vec![7u32; 100];
        full.reserve(0);
        keep(&mut slot, full);
        assert!(slot.is_empty(), "a kept vector is emptied");
        keep(&mut slot, Vec::with_capacity(KEEP_LEN + 1));
        assert!(
            slot.capacity() <= KEEP_LEN,
            "a vector above the limit is dropped"
        );
    }
}
