//! Threads that parse a large file's batches beside the calling thread (see
//! `parser::parse_fast_into`), started on first use and kept for the life of the process, so
//! that a process that parses many files (the REPL, a scenario sweep, a benchmark's loop) neither
//! starts threads for each nor hands each new thread a fresh heap to fill.
//!
//! [`make_in_order`] is the one entry point: the calling thread and the pool's threads start the
//! batches in file order, and the caller takes each batch's statements as soon as they are ready
//! (to check them while later batches are still being parsed). The caller never waits for work
//! nobody has started: a batch it needs that no pool thread has claimed, it parses itself, so a
//! busy pool (another caller's work) or a pool that could not be started only costs time.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Stack of a pool thread: the same generous size as the CLI's main thread, because pest and the
/// tree builder recurse once per nesting level and operator.
const STACK_BYTES: usize = 64 << 20;

/// Makes the items `0..count` with `make`, on the calling thread and on up to `helpers` pool
/// threads, always starting the lowest item nobody has started; `consume` runs on the calling
/// thread meanwhile and takes the items through the function it is given, each at most once and
/// in any order. Taking an item that is not made yet makes other items while there are any left
/// to start, and waits otherwise. Once an item cannot be made (`make` gives `None` or panics),
/// nobody starts another and taking any item not yet made gives `None`; a panic in `make` is
/// resumed on the caller once `consume` returns.
pub fn make_in_order<T, R>(
    count: usize,
    helpers: usize,
    make: impl Fn(usize) -> Option<T> + Send + Sync + 'static,
    consume: impl FnOnce(&mut dyn FnMut(usize) -> Option<T>) -> R,
) -> R
where
    T: Send + 'static,
{
    let board = Arc::new(Board {
        count,
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        items: Mutex::new((0..count).map(|_| Slot::Pending).collect()),
        ready: Condvar::new(),
        panic: Mutex::new(None),
        make: Box::new(make),
    });
    // A call with nothing to hand over does not start the pool.
    if helpers > 0
        && let Some(queue) = pool()
    {
        for _ in 0..helpers {
            // A pool whose threads are gone leaves every item to the caller.
            let _ = queue.send(Arc::clone(&board) as Arc<dyn Help>);
        }
    }
    let result = consume(&mut |index| board.take(index));
    if let Some(panic) = lock(&board.panic).take() {
        resume_unwind(panic);
    }
    result
}

/// The items of one [`make_in_order`], shared by the threads that make them. Pool threads that
/// pick it up after every item is started find nothing to do.
struct Board<T> {
    count: usize,
    /// The lowest item that nobody has started.
    next: AtomicUsize,
    /// Set (under the `items` lock) when an item could not be made.
    failed: AtomicBool,
    items: Mutex<Vec<Slot<T>>>,
    /// Signalled whenever an item is made or fails.
    ready: Condvar,
    /// The first panic of `make`, for the caller to resume.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    make: Box<dyn Fn(usize) -> Option<T> + Send + Sync>,
}

enum Slot<T> {
    Pending,
    Made(T),
    Failed,
    Taken,
}

impl<T> Board<T> {
    /// Starts the lowest item nobody has started, if any is left and none has failed.
    fn claim(&self) -> Option<usize> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        (index < self.count).then_some(index)
    }

    /// Makes item `index` and posts it. A panic in `make` marks the item failed, so that nobody
    /// waits for it, and is kept for the caller.
    fn make_and_post(&self, index: usize) {
        let slot = match catch_unwind(AssertUnwindSafe(|| (self.make)(index))) {
            Ok(Some(item)) => Slot::Made(item),
            Ok(None) => Slot::Failed,
            Err(panic) => {
                lock(&self.panic).get_or_insert(panic);
                Slot::Failed
            }
        };
        let mut items = lock(&self.items);
        if matches!(slot, Slot::Failed) {
            self.failed.store(true, Ordering::Relaxed);
        }
        items[index] = slot;
        drop(items);
        self.ready.notify_all();
    }

    /// Item `index`, once made; makes other items while it waits.
    fn take(&self, index: usize) -> Option<T> {
        loop {
            {
                let mut items = lock(&self.items);
                match std::mem::replace(&mut items[index], Slot::Taken) {
                    Slot::Made(item) => return Some(item),
                    Slot::Failed => return None,
                    Slot::Taken => unreachable!("an item is taken at most once"),
                    Slot::Pending => items[index] = Slot::Pending,
                }
            }
            if let Some(other) = self.claim() {
                self.make_and_post(other);
                continue;
            }
            // Every item is started: this one is being made on another thread.
            let mut items = lock(&self.items);
            while matches!(items[index], Slot::Pending) {
                if self.failed.load(Ordering::Relaxed) {
                    return None;
                }
                items = self
                    .ready
                    .wait(items)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }
}

/// A board as the pool sees it, whatever its item type.
trait Help: Send + Sync {
    /// Makes items until none is left to start.
    fn help(&self);
}

impl<T: Send> Help for Board<T> {
    fn help(&self) {
        while let Some(index) = self.claim() {
            self.make_and_post(index);
        }
    }
}

/// The pool's queue: `None` on a single core, where the caller does all the work, or when no
/// thread could be started.
fn pool() -> Option<&'static Sender<Arc<dyn Help>>> {
    static POOL: OnceLock<Option<Sender<Arc<dyn Help>>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let (sender, receiver) = channel::<Arc<dyn Help>>();
        let receiver = Arc::new(Mutex::new(receiver));
        let started = (1..cores)
            .filter(|index| {
                let receiver = Arc::clone(&receiver);
                std::thread::Builder::new()
                    .name(format!("anneal-parse-{index}"))
                    .stack_size(STACK_BYTES)
                    .spawn(move || serve(&receiver))
                    .is_ok()
            })
            .count();
        (started > 0).then_some(sender)
    })
    .as_ref()
}

/// A pool thread's loop: helps every board of the queue until the queue is dropped.
fn serve(receiver: &Mutex<Receiver<Arc<dyn Help>>>) {
    loop {
        let next = lock(receiver).recv();
        match next {
            Ok(board) => board.help(),
            Err(_) => return,
        }
    }
}

/// Locks `mutex`; no code panics while holding these locks, so poisoning carries no meaning here.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_taken_in_any_order_whoever_makes_them() {
        for helpers in [0, 1, 3] {
            let taken = make_in_order(
                100,
                helpers,
                |index| Some(index * 3),
                |take| {
                    let mut taken = vec![take(57), take(3)];
                    taken.extend((0..100).filter(|&i| i != 57 && i != 3).map(&mut *take));
                    taken
                },
            );
            let mut expected = vec![Some(171), Some(9)];
            expected.extend((0..100).filter(|&i| i != 57 && i != 3).map(|i| Some(i * 3)));
            assert_eq!(taken, expected, "{helpers} helpers");
        }
    }

    #[test]
    fn callers_on_many_threads_share_the_pool() {
        std::thread::scope(|scope| {
            for caller in 0..8 {
                scope.spawn(move || {
                    for round in 0..20 {
                        let base = caller * 1000 + round * 10;
                        let taken = make_in_order(
                            4,
                            3,
                            move |index| Some(base + index),
                            |take| (0..4).map(take).collect::<Vec<_>>(),
                        );
                        let expected: Vec<_> = (0..4).map(|index| Some(base + index)).collect();
                        assert_eq!(taken, expected);
                    }
                });
            }
        });
    }

    #[test]
    fn an_item_that_cannot_be_made_fails_every_item_not_yet_made() {
        for helpers in [0, 1, 3] {
            let taken = make_in_order(
                1000,
                helpers,
                |index| (index != 10).then_some(index),
                |take| (0..1000).map(&mut *take).collect::<Vec<_>>(),
            );
            assert_eq!(&taken[..10], &(0..10).map(Some).collect::<Vec<_>>()[..]);
            assert_eq!(taken[10], None);
            assert!(taken[11..].iter().any(Option::is_none), "{helpers} helpers");
        }
    }

    #[test]
    fn a_panic_in_making_an_item_reaches_the_caller_and_the_pool_lives_on() {
        for helpers in [0, 1] {
            let caught = catch_unwind(|| {
                make_in_order(
                    50,
                    helpers,
                    |index| {
                        assert_ne!(index, 20, "a panic on purpose");
                        Some(index)
                    },
                    |take| (0..50).map(take).collect::<Vec<_>>(),
                )
            });
            assert!(caught.is_err(), "{helpers} helpers");
        }
        let taken = make_in_order(3, 1, Some, |take| (0..3).map(take).collect::<Vec<_>>());
        assert_eq!(taken, [Some(0), Some(1), Some(2)]);
    }
}
