package io.peft4j.kernel.execution;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inserts {@code CellInterrupts.poll()} before every backward jump of a class (the back-edge of each
 * loop). The call takes and leaves nothing on the operand stack and adds no branch target, so stack
 * map frames and max stack stay valid as they are.
 */
final class LoopInstrumenter {
    static final String OWNER = CellInterrupts.class.getName().replace('.', '/');

    private LoopInstrumenter() {}

    /** The instrumented class, or the input unchanged when it has no loop or cannot be parsed. */
    static byte[] instrument(byte[] classBytes) {
        try {
            ClassNode cn = new ClassNode();
            new ClassReader(classBytes).accept(cn, 0);
            int inserted = 0;
            for (MethodNode m : cn.methods) inserted += instrument(m);
            if (inserted == 0) return classBytes;
            ClassWriter cw = new ClassWriter(0);
            cn.accept(cw);
            return cw.toByteArray();
        } catch (RuntimeException e) {
            return classBytes; // never make a cell fail because of the safe points
        }
    }

    private static int instrument(MethodNode m) {
        if (m.instructions.size() == 0) return 0;
        Map<LabelNode, Integer> position = new HashMap<>();
        int i = 0;
        for (AbstractInsnNode n = m.instructions.getFirst(); n != null; n = n.getNext(), i++) {
            if (n instanceof LabelNode l) position.put(l, i);
        }
        int count = 0;
        i = 0;
        for (AbstractInsnNode n = m.instructions.getFirst(); n != null; n = n.getNext(), i++) {
            if (backward(n, position, i)) {
                m.instructions.insertBefore(n, new MethodInsnNode(Opcodes.INVOKESTATIC, OWNER, "poll", "()V", false));
                count++;
            }
        }
        return count;
    }

    private static boolean backward(AbstractInsnNode n, Map<LabelNode, Integer> position, int at) {
        if (n instanceof JumpInsnNode j) return position.getOrDefault(j.label, Integer.MAX_VALUE) <= at;
        List<LabelNode> targets = null;
        LabelNode dflt = null;
        if (n instanceof TableSwitchInsnNode t) { targets = t.labels; dflt = t.dflt; }
        if (n instanceof LookupSwitchInsnNode t) { targets = t.labels; dflt = t.dflt; }
        if (targets == null) return false;
        if (position.getOrDefault(dflt, Integer.MAX_VALUE) <= at) return true;
        for (LabelNode l : targets) if (position.getOrDefault(l, Integer.MAX_VALUE) <= at) return true;
        return false;
    }
}
