//! Threads that parse a large file's batches beside the calling thread (see
//! `parser::parse_fast_into`), started on first use and kept for the life of the process, so
//! that a process that parses many files (the REPL, a scenario sweep, a benchmark's loop) neither
//! starts threads for each nor hands each new thread a fresh heap to fill.
//!
//! [`make_in_order`] is what the parser uses: the calling thread and the pool's threads start the
//! batches in file order, and the caller takes each batch's statements as soon as they are ready
//! (to check them while later batches are still being parsed). Work handed to the pool is never
//! waited for in vain: a caller that needs a batch nobody has started parses it itself, and a task
//! that no pool thread has started when the caller is done (the pool is busy with another caller's
//! work, or could not be started) runs on the caller.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Stack of a pool thread: the same generous size as the CLI's main thread, because pest and the
/// tree builder recurse once per nesting level and operator.
const STACK_BYTES: usize = 64 << 20;

/// Work for the pool, boxed so that tasks of any result type share one queue.
type Work<T> = Box<dyn FnOnce() -> T + Send>;

/// Runs `beside` on the pool threads and `here` on the calling thread, and returns the results
/// in order: `here`'s first, then `beside`'s. A panic in any of them is resumed on the caller.
pub fn run_beside<T: Send + 'static>(beside: Vec<Work<T>>, here: impl FnOnce() -> T) -> Vec<T> {
    let tasks: Vec<Arc<Task<T>>> = beside
        .into_iter()
        .map(|work| {
            Arc::new(Task {
                state: Mutex::new(State::Waiting(work)),
                finished: Condvar::new(),
            })
        })
        .collect();
    // A call with nothing to hand over does not start the pool.
    if !tasks.is_empty()
        && let Some(queue) = pool()
    {
        for task in &tasks {
            // A pool whose threads are gone leaves the task waiting, and the caller runs it.
            let _ = queue.send(Arc::clone(task) as Arc<dyn Runnable>);
        }
    }
    let mut results = Vec::with_capacity(tasks.len() + 1);
    results.push(here());
    for task in &tasks {
        task.run_if_waiting();
        results.push(task.wait());
    }
    results
}

/// Makes the items `0..count` with `make`, on the calling thread and on up to `helpers` pool
/// threads, always starting the lowest item nobody has started; `consume` runs on the calling
/// thread meanwhile and takes the items through the function it is given, each at most once and
/// in any order. Taking an item that is not made yet makes other items while there are any left
/// to start, and waits otherwise. Once an item cannot be made (`make` gives `None`), nobody starts
/// another and taking any item not yet made gives `None`.
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
        make: Box::new(make),
    });
    let beside = (0..helpers)
        .map(|_| {
            let board = Arc::clone(&board);
            Box::new(move || board.help()) as Work<()>
        })
        .collect();
    let mut result = None;
    run_beside(beside, || {
        result = Some(consume(&mut |index| board.take(index)))
    });
    result.expect("`run_beside` runs the caller's share")
}

/// The items of one [`make_in_order`], shared by the threads that make them.
struct Board<T> {
    count: usize,
    /// The lowest item that nobody has started.
    next: AtomicUsize,
    /// Set (under the `items` lock) when an item could not be made.
    failed: AtomicBool,
    items: Mutex<Vec<Slot<T>>>,
    /// Signalled whenever an item is made or fails.
    ready: Condvar,
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
    /// waits for it, before it goes on to the caller.
    fn make_and_post(&self, index: usize) {
        let (slot, panic) = match catch_unwind(AssertUnwindSafe(|| (self.make)(index))) {
            Ok(Some(item)) => (Slot::Made(item), None),
            Ok(None) => (Slot::Failed, None),
            Err(panic) => (Slot::Failed, Some(panic)),
        };
        let mut items = lock(&self.items);
        if matches!(slot, Slot::Failed) {
            self.failed.store(true, Ordering::Relaxed);
        }
        items[index] = slot;
        drop(items);
        self.ready.notify_all();
        if let Some(panic) = panic {
            resume_unwind(panic);
        }
    }

    /// A pool thread's share: makes items until none is left to start.
    fn help(&self) {
        while let Some(index) = self.claim() {
            self.make_and_post(index);
        }
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

/// The pool's queue: `None` on a single core, where the caller does all the work, or when no
/// thread could be started.
fn pool() -> Option<&'static Sender<Arc<dyn Runnable>>> {
    static POOL: OnceLock<Option<Sender<Arc<dyn Runnable>>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let (sender, receiver) = channel::<Arc<dyn Runnable>>();
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

/// A pool thread's loop: runs the tasks of the queue until the queue is dropped.
fn serve(receiver: &Mutex<Receiver<Arc<dyn Runnable>>>) {
    loop {
        let next = lock(receiver).recv();
        match next {
            Ok(task) => task.run_if_waiting(),
            Err(_) => return,
        }
    }
}

/// A task as the pool sees it, whatever its result type.
trait Runnable: Send + Sync {
    /// Runs the task unless another thread has started it.
    fn run_if_waiting(&self);
}

/// One piece of work and, once run, its result.
struct Task<T> {
    state: Mutex<State<T>>,
    finished: Condvar,
}

enum State<T> {
    Waiting(Work<T>),
    Running,
    Finished(std::thread::Result<T>),
    Collected,
}

impl<T: Send> Runnable for Task<T> {
    fn run_if_waiting(&self) {
        let work = {
            let mut state = lock(&self.state);
            match std::mem::replace(&mut *state, State::Running) {
                State::Waiting(work) => work,
                other => {
                    *state = other;
                    return;
                }
            }
        };
        let result = catch_unwind(AssertUnwindSafe(work));
        *lock(&self.state) = State::Finished(result);
        self.finished.notify_all();
    }
}

impl<T> Task<T> {
    /// Waits until the task has run and returns its result, resuming its panic if it had one.
    fn wait(&self) -> T {
        let mut state = lock(&self.state);
        loop {
            match std::mem::replace(&mut *state, State::Collected) {
                State::Finished(Ok(result)) => return result,
                State::Finished(Err(panic)) => {
                    drop(state);
                    resume_unwind(panic)
                }
                State::Collected => unreachable!("a task's result is collected once"),
                running => {
                    *state = running;
                    state = self
                        .finished
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
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
    fn results_come_in_order_whoever_runs_the_work() {
        let beside: Vec<Work<usize>> = (1..50_usize)
            .map(|index| Box::new(move || index * index) as Work<usize>)
            .collect();
        let results = run_beside(beside, || 0);
        assert_eq!(
            results,
            (0..50).map(|index| index * index).collect::<Vec<_>>()
        );
    }

    #[test]
    fn callers_on_many_threads_share_the_pool() {
        std::thread::scope(|scope| {
            for caller in 0..8 {
                scope.spawn(move || {
                    for round in 0..20 {
                        let beside: Vec<Work<usize>> = (1..4)
                            .map(|index| {
                                Box::new(move || caller * 1000 + round * 10 + index) as Work<usize>
                            })
                            .collect();
                        let results = run_beside(beside, || caller * 1000 + round * 10);
                        let expected: Vec<usize> = (0..4)
                            .map(|index| caller * 1000 + round * 10 + index)
                            .collect();
                        assert_eq!(results, expected);
                    }
                });
            }
        });
    }

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
    fn a_panic_in_work_beside_reaches_the_caller_and_the_pool_lives_on() {
        let beside: Vec<Work<u8>> = vec![Box::new(|| panic!("a panic on purpose"))];
        let caught = catch_unwind(AssertUnwindSafe(|| run_beside(beside, || 1)));
        assert!(caught.is_err());
        let beside: Vec<Work<u8>> = vec![Box::new(|| 2)];
        assert_eq!(run_beside(beside, || 1), vec![1, 2]);
    }
}
