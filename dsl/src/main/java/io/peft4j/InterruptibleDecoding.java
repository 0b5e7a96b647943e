package io.peft4j;

import io.peft4j.model.DecodingSession;
import io.peft4j.model.LanguageModel;
import io.peft4j.progress.Task;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * A view of a {@link LanguageModel} whose decoding sessions stop at every generated token when the
 * thread is interrupted ({@link Task#tick()}): generation of a long batch on a large model then
 * ends within one token instead of at the end of the batch. Everything else is the model itself
 * (a dynamic proxy over the interface, so it follows whatever the interface gains).
 */
final class InterruptibleDecoding {
    private InterruptibleDecoding() {}

    static LanguageModel wrap(LanguageModel model, Task task) {
        InvocationHandler h = (proxy, method, args) -> {
            try {
                Object r = method.invoke(model, args);
                if (method.getName().equals("startDecoding") && r instanceof DecodingSession s) return new Session(s, task);
                return r;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (LanguageModel) Proxy.newProxyInstance(LanguageModel.class.getClassLoader(), new Class<?>[]{LanguageModel.class}, h);
    }

    private record Session(DecodingSession s, Task task) implements DecodingSession {
        @Override public int[][] prefix() { return s.prefix(); }
        @Override public double[][] first() { task.tick(); return s.first(); }
        @Override public double[][] next(int[] tokens) { task.tick(); return s.next(tokens); }
        @Override public void reorder(int[] rows) { s.reorder(rows); }
    }
}
