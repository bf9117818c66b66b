//! Time sources: the system clock, and a virtual clock for tests and fast-forward runs.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

/// `t + d`, saturating at the largest representable time.
pub(crate) fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where an execution gets the time from and how it waits.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `d` of this clock's time.
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;
    /// Whether sleeping returns at once (a virtual clock). Task and execution timeouts are
    /// then measured as elapsed clock time after the work instead of by racing a timer.
    fn is_virtual(&self) -> bool {
        false
    }
}

/// Real time: `Utc::now()` and `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock that never really waits: `sleep(d)` returns at once and moves `now` forward to
/// at least (time of the call + d). Concurrent sleeps of the same length therefore advance
/// the clock once, as they would overlap in real time.
#[derive(Debug)]
pub struct VirtualClock {
    now: Mutex<DateTime<Utc>>,
}

impl VirtualClock {
    /// A virtual clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        VirtualClock {
            now: Mutex::new(start),
        }
    }

    /// A virtual clock starting at the current system time.
    pub fn starting_now() -> Self {
        VirtualClock::new(Utc::now())
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = later(*now, d);
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::starting_now()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        let target = later(*now, d);
        if target > *now {
            *now = target;
        }
        Box::pin(futures::future::ready(()))
    }
    fn is_virtual(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_sleep_advances_time_without_waiting() {
        let start = Utc::now();
        let c = VirtualClock::new(start);
        let wall = std::time::Instant::now();
        c.sleep(Duration::from_secs(3600)).await;
        assert_eq!(c.now() - start, chrono::Duration::seconds(3600));
        assert!(wall.elapsed() < Duration::from_secs(1));
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now() - start, chrono::Duration::seconds(3601));
    }
}
