//! Lox's natives and goroutines: `clock()`, `spawn(fn)` (a new goroutine with a VM of its
//! own, see the semantics in `mod.rs`), `Channel()`, and the built-in methods of goroutine
//! handles (`join`) and channels (`send`, `receive`).

use super::*;

/// Calls `closure` (a closure of no parameters) on this goroutine's own VM: a spawned Lox
/// goroutine.
fn run_spawned(shared: Shared, closure: Value) -> Result<Value, RuntimeError> {
    let mut stack = [NIL; STACK_MAX];
    let mut frames = [NO_FRAME; FRAMES_MAX];
    let mut vm = Vm::new(&mut stack, &mut frames, shared);
    vm.push(closure);
    // SAFETY: `spawn` checked that it is a closure.
    let c = unsafe { as_obj::<Closure>(closure) };
    let r = match vm.call(c, 0) {
        Err(msg) => Err(vm.runtime_error(msg)),
        Ok(()) => vm.run_to_end(),
    };
    vm.flush();
    r
}

impl<'a> Vm<'a> {
    pub(super) fn call_native(&mut self, f: NativeFn, argc: usize) -> Result<Value, String> {
        match f {
            NativeFn::Clock => Ok(Value::num(crate::start_time().elapsed().as_secs_f64())),
            NativeFn::Spawn => {
                if argc != 1 {
                    return Err(format!("Expected 1 arguments but got {argc}."));
                }
                self.spawn(self.peek(0))
            }
            NativeFn::Channel => {
                let cap = match argc {
                    0 => 0,
                    1 if self.peek(0).is_number() && self.peek(0).as_number() >= 0.0 && self.peek(0).as_number() <= 1e9 => {
                        self.peek(0).as_number() as usize
                    }
                    1 => return Err("Channel capacity must be a non-negative number.".to_string()),
                    _ => return Err(format!("Expected 0 or 1 arguments but got {argc}.")),
                };
                Ok(new_channel(cap))
            }
        }
    }

    /// `spawn(fn)`: runs `fn()` on a new goroutine with a VM of its own. Variables `fn`
    /// captures that are still open on this VM's stack are copied into closed upvalues first
    /// (Go's `go f(x)` passes `x` by value the same way): the new VM cannot use this stack, and
    /// later writes on either side are not seen by the other. Everything in the heap (globals,
    /// instances, closed variables) is shared.
    fn spawn(&mut self, f: Value) -> Result<Value, String> {
        if !f.is(Kind::Closure) {
            return Err("spawn() needs a function.".to_string());
        }
        // SAFETY: checked just above; `f` is on the stack.
        let c = unsafe { as_obj::<Closure>(f) };
        if c.function.arity != 0 {
            return Err(format!("Expected a function of 0 arguments but got one of {}.", c.function.arity));
        }
        let mut ups: [Option<Gc<Upvalue>>; 256] = [None; 256];
        let mut copied = false;
        for (slot, &u) in ups.iter_mut().zip(c.upvalues.iter()) {
            *slot = Some(if u.open.load(Ordering::Relaxed) != 0 {
                copied = true;
                let v = u.get(self.id).ok_or_else(foreign_variable)?;
                new_closed_upvalue(v)
            } else {
                u
            });
        }
        let f = if copied { new_closure(c.function, &ups[..c.upvalues.len()]) } else { f };
        let shared = self.shared;
        // `f` travels in the spawn packet, which the collector scans until the goroutine runs.
        let h = tricolor_runtime::go(move || run_spawned(shared, f).map_err(|_| ()));
        Ok(new_handle(h))
    }

    /// The built-in methods of goroutine handles and channels.
    pub(super) fn native_method(&mut self, receiver: Value, name: Value, argc: usize) -> Result<Value, String> {
        let arity = |want: usize| if argc == want { Ok(()) } else { Err(format!("Expected {want} arguments but got {argc}.")) };
        if receiver.is(Kind::Handle) && name == self.shared.join {
            arity(0)?;
            // SAFETY: checked kind; the receiver is on the stack.
            let h = unsafe { as_obj::<Handle>(receiver) };
            // Held across the join: a second joiner waits for the first to store the result.
            let mut slot = h.join.lock();
            if let Some(jh) = slot.take() {
                match jh.join() {
                    Ok(Ok(v)) => h.result.set(v),
                    _ => return Err("Joined goroutine stopped on a runtime error.".to_string()),
                }
            }
            drop(slot);
            return Ok(h.result.get());
        }
        if receiver.is(Kind::Channel) {
            // SAFETY: checked kind; the receiver is on the stack.
            let c = unsafe { as_obj::<Channel>(receiver) };
            if name == self.shared.send {
                arity(1)?;
                let v = self.peek(0);
                let _ = c.ch.0.send(v);
                return Ok(NIL);
            }
            if name == self.shared.receive {
                arity(0)?;
                return Ok(c.ch.1.recv().unwrap_or(NIL));
            }
        }
        // SAFETY: property names are strings.
        Err(format!("Undefined property '{}'.", unsafe { as_str(name) }))
    }
}
